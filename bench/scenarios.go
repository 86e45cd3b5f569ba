package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/dockerengine"
)

// command every benchmark container runs: exits promptly on SIGTERM.
var command = []string{"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"}

// svcDef is one service of a generated project.
type svcDef struct {
	name      string
	replicas  int    // desired replicas (the CLI tools get it through --scale)
	rev       string // value of BENCH_REV in the environment
	port      bool   // publishes container port 80 on an engine-assigned host port
	dependsOn string
	command   []string // nil: the default command
	mountDir  bool     // the project directory is mounted read-only at /bench
}

// model is a generated project.
type model []svcDef

func (m model) clone() model { return slices.Clone(m) }

func (m model) service(name string) *svcDef {
	for i := range m {
		if m[i].name == name {
			return &m[i]
		}
	}
	return nil
}

// yaml renders the compose file with the default network on subnet.
// Replicas are not written: the tools get them through --scale, as a user
// scaling a service would.
func (m model) yaml(subnet string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "networks:\n  default:\n    ipam:\n      config:\n        - subnet: %s\n", subnet)
	b.WriteString("services:\n")
	for _, s := range m {
		fmt.Fprintf(&b, "  %s:\n    image: %s\n", s.name, testImage)
		cmd := command
		if s.command != nil {
			cmd = s.command
		}
		quoted := make([]string, len(cmd))
		for i, a := range cmd {
			quoted[i] = strconv.Quote(a)
		}
		fmt.Fprintf(&b, "    command: [%s]\n", strings.Join(quoted, ", "))
		b.WriteString("    stop_grace_period: 1s\n")
		fmt.Fprintf(&b, "    environment:\n      BENCH_REV: %q\n", s.rev)
		if s.port {
			b.WriteString("    ports: [\"80\"]\n")
		}
		if s.mountDir {
			b.WriteString("    volumes: [\"./:/bench:ro\"]\n")
		}
		if s.dependsOn != "" {
			fmt.Fprintf(&b, "    depends_on: [%s]\n", s.dependsOn)
		}
	}
	return b.String()
}

// services returns n independent services s01..sNN.
func services(n int, port bool) model {
	m := make(model, n)
	for i := range m {
		m[i] = svcDef{name: fmt.Sprintf("s%02d", i+1), replicas: 1, rev: "1", port: port}
	}
	return m
}

// chain returns n services, each depending on the previous one.
func chain(n int) model {
	m := services(n, false)
	for i := 1; i < n; i++ {
		m[i].dependsOn = m[i-1].name
	}
	return m
}

func web() model { return model{{name: "web", replicas: 1, rev: "1"}} }

// Timed operations.
const (
	opUp      = "up -d"
	opUpScale = "up -d --scale"
	opScale   = "scale"
	opDown    = "down"
	opLogs    = "logs -f"
)

// scenario is one measured step with its setup and its correctness check.
type scenario struct {
	sel   int    // number for -scenarios
	id    string // row label: "1", "4a", "8"...
	title string
	start model  // the project as set up (or to bring up, when cold)
	cold  bool   // no setup: the timed step brings the project up
	setup int    // web replicas at setup (scale scenarios)
	op    string // timed operation
	scale int    // web replicas requested by the timed step
	// changed is the service whose environment changes between setup and
	// the timed step: exactly its container must be recreated.
	changed string
	ports   bool // check: every container publishes 80/tcp on a host port
	order   bool // check: containers started in dependency order
	n       int  // replicas for the replica growth plot (scenario 8)
	added   int  // containers the timed step creates or removes
	// services is the project's size in the service growth (scenario 9);
	// noop is the row of the timed no-op `up -d` that follows the cold one
	// in the same run (its own row: it is not run by itself).
	services int
	noop     *scenario
	down     *scenario // the remote scenario's down row
	follower bool      // filled by another scenario's run
	maxReps  int       // repetitions at most (0: -reps)
	remote   bool      // scenario 10: a sequence of commands through the API proxy
	logs     *logsLoad
}

// selectScenarios returns the scenarios chosen by -scenarios: all but the
// replica growth (8) when none is named.
func selectScenarios(sel []int, quick bool) []*scenario {
	svcs, scale, deps, ports, growth, sizes := 10, 30, 5, 10, []int{10, 30, 100}, []int{100, 300}
	logs := logsLoad{replicas: 30, rate: 5000, seconds: 10}
	if quick {
		svcs, scale, deps, ports, growth, sizes = 4, 6, 3, 3, []int{3, 6}, []int{8}
		logs = logsLoad{replicas: 3, rate: 500, seconds: 2}
	}
	all := []*scenario{
		{sel: 1, id: "1", title: fmt.Sprintf("cold `up -d`, %d services", svcs), start: services(svcs, false), cold: true, op: opUp, added: svcs, services: svcs},
		{sel: 2, id: "2", title: fmt.Sprintf("no-op `up -d`, %d services running", svcs), start: services(svcs, false), op: opUp, services: svcs},
		{sel: 3, id: "3", title: fmt.Sprintf("`up -d` after one env change (1 recreate of %d)", svcs), start: services(svcs, false), op: opUp, changed: "s01", added: 1},
		{sel: 4, id: "4a", title: fmt.Sprintf("`up -d --scale web=%d` from 1", scale), start: web(), setup: 1, op: opUpScale, scale: scale, added: scale - 1},
		{sel: 4, id: "4b", title: fmt.Sprintf("`scale web=%d` from 1", scale), start: web(), setup: 1, op: opScale, scale: scale, added: scale - 1},
		{sel: 5, id: "5", title: fmt.Sprintf("`down -t 1` of web=%d", scale), start: web(), setup: scale, op: opDown, added: scale},
		{sel: 6, id: "6", title: fmt.Sprintf("cold `up -d`, depends_on chain of %d", deps), start: chain(deps), cold: true, op: opUp, order: true, added: deps},
		{sel: 7, id: "7", title: fmt.Sprintf("cold `up -d`, %d services publishing a port", ports), start: services(ports, true), cold: true, op: opUp, ports: true, added: ports},
	}
	for _, n := range growth {
		all = append(all, &scenario{sel: 8, id: fmt.Sprintf("8/%d", n), title: fmt.Sprintf("growth: `up -d --scale web=%d` from 1", n),
			start: web(), setup: 1, op: opUpScale, scale: n, n: n, added: n - 1})
	}
	for _, n := range sizes {
		noop := &scenario{sel: 9, id: fmt.Sprintf("9/%dn", n), title: fmt.Sprintf("growth: no-op `up -d`, %d services running", n),
			start: services(n, false), op: opUp, services: n, follower: true, maxReps: 1}
		all = append(all,
			&scenario{sel: 9, id: fmt.Sprintf("9/%d", n), title: fmt.Sprintf("growth: cold `up -d`, %d services", n),
				start: services(n, false), cold: true, op: opUp, added: n, services: n, noop: noop, maxReps: 1},
			noop)
	}
	remote := services(svcs, false)
	remoteNoop := &scenario{sel: 10, id: "10b", title: fmt.Sprintf("remote engine: no-op `up -d`, %d services", svcs), start: remote, op: opUp, follower: true}
	remoteDown := &scenario{sel: 10, id: "10c", title: fmt.Sprintf("remote engine: `down -t 1`, %d services", svcs), start: remote, op: opDown, follower: true}
	all = append(all,
		&scenario{sel: 10, id: "10a", title: fmt.Sprintf("remote engine: cold `up -d`, %d services", svcs), start: remote, cold: true, op: opUp, added: svcs,
			remote: true, noop: remoteNoop, down: remoteDown},
		remoteNoop, remoteDown,
		&scenario{sel: 11, id: "11", title: fmt.Sprintf("`logs -f`, %d replicas × %d lines/s × %d s", logs.replicas, logs.rate, logs.seconds),
			start: logsModel(logs), op: opLogs, logs: &logs, maxReps: 1},
	)
	var out []*scenario
	for _, sc := range all {
		if (len(sel) == 0 && sc.sel != 8) || slices.Contains(sel, sc.sel) {
			out = append(out, sc)
		}
	}
	return out
}

// reps is how many times the scenario runs.
func (sc *scenario) reps(cfg int) int {
	if sc.maxReps > 0 && sc.maxReps < cfg {
		return sc.maxReps
	}
	return cfg
}

// containers is the number of containers of the scenario's largest state.
func (sc *scenario) containers() int {
	n := 0
	for _, s := range sc.start {
		n += max(s.replicas, sc.setup, sc.scale)
	}
	return n
}

// runner is one run: one tool, one scenario, one fresh project.
type runner struct {
	eng     *dockerengine.Engine
	sc      *scenario
	tool    *tool
	project string
	dir     string
	m       model  // the desired project at the timed step
	exists  bool   // the project has been set up
	timed   bool   // the timed step is running
	out     string // output of the last tool command
	subnet  string // of the project's default network
	leaked  bool   // the engine kept the network after cleanup
	// feng is the engine the floor's timed calls go to: eng, or eng
	// through the API proxy in the remote scenario.
	feng  *dockerengine.Engine
	proxy *apiProxy // the remote scenario's proxy; nil otherwise
	// more are the samples of the follower rows this run filled.
	more []extra
	// calls are the API calls of each step through the proxy.
	calls map[string]map[string]int
	logs  logsResult
}

// extra is a sample of a follower row.
type extra struct {
	sc  *scenario
	s   sample
	err error
}

// do sets up, times the step, checks the result and cleans up.
func (r *runner) do(ctx context.Context) (sample, error) {
	suffix := make([]byte, 3)
	rand.Read(suffix)
	slug := strings.ReplaceAll(r.sc.id, "/", "-")
	r.project = fmt.Sprintf("mcbench-%s-%s-%s", slug, r.tool.key, hex.EncodeToString(suffix))
	dir, err := os.MkdirTemp("", r.project)
	if err != nil {
		return sample{}, err
	}
	r.dir = dir
	defer os.RemoveAll(dir)
	if r.subnet, err = pickSubnet(ctx, r.sc.containers()); err != nil {
		return sample{}, err
	}
	defer r.cleanup()
	if r.feng == nil {
		r.feng = r.eng
	}
	r.m = r.sc.start.clone()
	if r.sc.setup > 0 {
		r.m.service("web").replicas = r.sc.setup
	}
	if err := r.write(); err != nil {
		return sample{}, err
	}
	switch {
	case r.sc.remote:
		return r.doRemote(ctx)
	case r.sc.logs != nil:
		return r.doLogs(ctx)
	}
	if !r.sc.cold {
		if _, err := r.up(ctx, r.sc.setup); err != nil {
			return sample{}, fmt.Errorf("setup: %w", err)
		}
		if err := r.settle(ctx); err != nil {
			return sample{}, fmt.Errorf("setup: %w", err)
		}
		r.exists = true
	}
	if r.sc.changed != "" {
		r.m.service(r.sc.changed).rev = "2"
		if err := r.write(); err != nil {
			return sample{}, err
		}
	}
	before, err := r.eng.ListContainers(ctx, r.project)
	if err != nil {
		return sample{}, err
	}
	var s sample
	r.timed = true
	switch r.sc.op {
	case opUp:
		s, err = r.up(ctx, 0)
	case opUpScale, opScale:
		r.m.service("web").replicas = r.sc.scale
		if r.sc.op == opScale && !r.tool.noScale && !r.tool.isFloor() {
			s, err = r.exec(ctx, "scale", fmt.Sprintf("web=%d", r.sc.scale))
		} else {
			s, err = r.up(ctx, r.sc.scale)
		}
	case opDown:
		s, err = r.down(ctx)
	}
	if err != nil {
		return s, err
	}
	if err := r.checkOut(ctx, before); err != nil {
		return s, err
	}
	if r.sc.noop != nil {
		r.exists = true
		r.more = append(r.more, r.timedNoop(ctx, r.sc.noop))
	}
	return s, nil
}

// checkOut checks the timed step, with the tool's output on failure.
func (r *runner) checkOut(ctx context.Context, before []convergence.Container) error {
	err := r.check(ctx, before)
	if err != nil && r.out != "" {
		err = fmt.Errorf("%w\n%s printed:\n%s", err, r.tool.name, tail(r.out, 12))
	}
	return err
}

// timedNoop times an `up -d` of the unchanged project for the follower row
// sc and checks that it changed nothing.
func (r *runner) timedNoop(ctx context.Context, sc *scenario) extra {
	before, err := r.eng.ListContainers(ctx, r.project)
	if err != nil {
		return extra{sc: sc, err: err}
	}
	main := r.sc
	r.sc = sc
	defer func() { r.sc = main }()
	s, err := r.up(ctx, 0)
	if err == nil {
		err = r.checkOut(ctx, before)
	}
	return extra{sc: sc, s: s, err: err}
}

func (r *runner) write() error {
	return os.WriteFile(filepath.Join(r.dir, "compose.yaml"), []byte(r.m.yaml(r.subnet)), 0o644)
}

// up brings the project to r.m; webScale > 0 is passed as --scale web=N.
func (r *runner) up(ctx context.Context, webScale int) (sample, error) {
	if r.tool.isFloor() {
		return r.floor(ctx, r.floorUp)
	}
	args := []string{"up", "-d"}
	if webScale > 0 {
		args = append(args, "--scale", fmt.Sprintf("web=%d", webScale))
	}
	return r.exec(ctx, args...)
}

func (r *runner) down(ctx context.Context) (sample, error) {
	if r.tool.isFloor() {
		return r.floor(ctx, r.floorDown)
	}
	return r.exec(ctx, "down", "-t", "1")
}

// floor times fn in-process; CPU is this process's rusage over the call.
func (r *runner) floor(ctx context.Context, fn func(context.Context) error) (sample, error) {
	cpu0, start := rusageSelf(), time.Now()
	err := fn(ctx)
	return sample{wall: time.Since(start), cpu: rusageSelf() - cpu0}, err
}

// settle waits until every container of the set-up project runs, so that
// the timed step starts from a steady state.
func (r *runner) settle(ctx context.Context) error {
	want := 0
	for _, s := range r.m {
		want += s.replicas
	}
	var cs []convergence.Container
	for i := 0; i < 50; i++ {
		var err error
		if cs, err = r.eng.ListContainers(ctx, r.project); err != nil {
			return err
		}
		running := 0
		for _, c := range cs {
			if c.State == "running" {
				running++
			}
		}
		if running == want && len(cs) == want {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%d containers after setup, want %d running", len(cs), want)
}
