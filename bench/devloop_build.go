package main

// Builds of a project whose services share a base stage (one Dockerfile, a
// per-service COPY and RUN after it): a cold `up -d --build`, no-change
// `up -d --build`s, and rebuilds after one file of one service changed;
// and, for scale, `docker build` of one service (this engine's docker CLI
// has no buildx: the classic builder). Offline: FROM the local test image.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mycompose/mycompose/convergence/dockerengine"
	"github.com/mycompose/mycompose/project"
)

// The build steps, as rows.
const (
	stepCold     = "cold `up -d --build`"
	stepNoChange = "no-change `up -d --build`"
	stepOneFile  = "one-file-change `up -d --build`"
	stepDocker   = "no-change `docker build` of one service"
	stepDockerC  = "cold `docker build` of one service"
)

// buildRow is one step of one tool.
type buildRow struct {
	tool    string
	step    string
	samples []sample
	fails   []string
	// needless counts services rebuilt and recreated although nothing of
	// theirs changed (a peer's builder; a failure for mycompose).
	needless int
}

func (b buildRow) summary() string {
	if len(b.samples) == 0 {
		return "FAIL: " + firstLine(strings.Join(b.fails, "; "))
	}
	c := cell{samples: b.samples}
	lo, med, cpu := c.stats()
	s := fmt.Sprintf("min %6.3fs  median %6.3fs  cpu %6.3fs  n %d", lo, med, cpu, len(b.samples))
	if b.needless > 0 {
		s += fmt.Sprintf("  (%d needless recreates)", b.needless)
	}
	if len(b.fails) > 0 {
		s += fmt.Sprintf("  (%d failed: %s)", len(b.fails), firstLine(b.fails[0]))
	}
	return s
}

const buildDockerfile = `FROM ` + testImage + ` AS base
ARG NONCE
RUN echo "$NONCE" > /nonce && i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo base > /base
FROM base
ARG SVC
COPY ${SVC}/ /app/
RUN cat /app/* | sha256sum > /app.sum
CMD ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`

// buildServices is the project's size.
func buildServices(quick bool) int {
	if quick {
		return 4
	}
	return 10
}

// writeBuildProject writes the Dockerfile, n service directories and the
// compose file; nonce makes the base stage cold for this project.
func writeBuildProject(dir string, n int, nonce string) error {
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(buildDockerfile), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("services:\n")
	for i := 1; i <= n; i++ {
		svc := fmt.Sprintf("s%02d", i)
		if err := os.MkdirAll(filepath.Join(dir, svc), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, svc, "main.txt"), []byte("svc "+svc+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&b, "  %s:\n    build:\n      context: .\n      args: {SVC: %s, NONCE: %q}\n    stop_grace_period: 1s\n", svc, svc, nonce)
	}
	return os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(b.String()), 0o644)
}

// state is the project's containers and images: service -> container ID
// and image ID, read from the engine.
type buildState map[string][2]string

func readBuildState(ctx context.Context, eng *dockerengine.Engine, r *runner) (buildState, error) {
	cs, err := eng.ListContainers(ctx, r.project)
	if err != nil {
		return nil, err
	}
	st := buildState{}
	for _, c := range cs {
		if c.State != "running" {
			return nil, fmt.Errorf("container %s is %s", c.Name, c.State)
		}
		st[c.Labels[project.LabelService]] = [2]string{c.ID, c.ImageID}
	}
	return st, nil
}

// checkBuild verifies that n services run, each on its service's current
// image, and that, compared with before, the changed service has a new
// image and a new container; it returns the other services that got a new
// image or container (a peer's builder may rebuild what did not change:
// reported, not failed).
func checkBuild(ctx context.Context, eng *dockerengine.Engine, r *runner, n int, before buildState, changed string) (buildState, []string, error) {
	st, err := readBuildState(ctx, eng, r)
	if err != nil {
		return nil, nil, err
	}
	if len(st) != n {
		return st, nil, fmt.Errorf("%d services running, want %d", len(st), n)
	}
	var refs []string
	for svc := range st {
		refs = append(refs, r.project+"-"+svc)
	}
	ids, err := eng.ImageIDs(ctx, refs)
	if err != nil {
		return st, nil, err
	}
	var extra []string
	for svc, ci := range st {
		if ids[r.project+"-"+svc] != ci[1] {
			return st, nil, fmt.Errorf("service %s runs image %s, not its built image %s", svc, ci[1], ids[r.project+"-"+svc])
		}
		if before == nil {
			continue
		}
		same := before[svc] == ci
		if svc == changed && same {
			return st, nil, fmt.Errorf("service %s: its file changed but its image and container are the same", svc)
		}
		if svc != changed && !same {
			extra = append(extra, svc)
		}
	}
	sort.Strings(extra)
	return st, extra, nil
}

// measureBuild times the compose tool t's builds.
func measureBuild(ctx context.Context, cfg config, eng *dockerengine.Engine, t *tool) []buildRow {
	n := buildServices(cfg.quick)
	rows := []*buildRow{{tool: t.name, step: stepCold}, {tool: t.name, step: stepNoChange}, {tool: t.name, step: stepOneFile}}
	out := func() []buildRow {
		var o []buildRow
		for _, r := range rows {
			o = append(o, *r)
		}
		return o
	}
	r, err := devProject("build", t)
	if err != nil {
		rows[0].fails = append(rows[0].fails, err.Error())
		return out()
	}
	r.eng = eng
	defer os.RemoveAll(r.dir)
	var old []string // images the rebuilds untagged
	defer func() {
		r.exec(context.Background(), "down", "-t", "0", "--rmi", "local")
		r.cleanup()
		if len(old) > 0 {
			exec.Command("docker", append([]string{"rmi", "-f"}, old...)...).Run()
		}
	}()
	if err := writeBuildProject(r.dir, n, fmt.Sprint(time.Now().UnixNano())); err != nil {
		rows[0].fails = append(rows[0].fails, err.Error())
		return out()
	}
	step := func(row *buildRow, before buildState, changed string) buildState {
		s, err := r.exec(ctx, "up", "-d", "--build")
		var st buildState
		var extra []string
		if err == nil {
			st, extra, err = checkBuild(ctx, eng, r, n, before, changed)
		}
		if err == nil && len(extra) > 0 && t.name == "mycompose" {
			err = fmt.Errorf("services %s: unchanged, but their image or container changed", strings.Join(extra, ", "))
		}
		if err != nil {
			row.fails = append(row.fails, err.Error())
			return nil
		}
		row.samples = append(row.samples, s)
		row.needless += len(extra)
		return st
	}
	st := step(rows[0], nil, "")
	if st == nil {
		return out()
	}
	for range cfg.reps {
		if next := step(rows[1], st, ""); next != nil {
			st = next
		}
	}
	for i := range cfg.reps {
		svc := fmt.Sprintf("s%02d", i%n+1)
		f, err := os.OpenFile(filepath.Join(r.dir, svc, "main.txt"), os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = fmt.Fprintf(f, "change %d\n", i)
			f.Close()
		}
		if err != nil {
			rows[2].fails = append(rows[2].fails, err.Error())
			continue
		}
		old = append(old, st[svc][1])
		if next := step(rows[2], st, svc); next != nil {
			st = next
		}
	}
	return out()
}

// measureDockerBuild times `docker build` of one service of the project:
// cold once, then without a change.
func measureDockerBuild(ctx context.Context, cfg config) []buildRow {
	cold := &buildRow{tool: "docker build", step: stepDockerC}
	warm := &buildRow{tool: "docker build", step: stepDocker}
	r, err := devProject("build", &tool{key: "docker"})
	if err != nil {
		cold.fails = append(cold.fails, err.Error())
		return []buildRow{*cold, *warm}
	}
	defer os.RemoveAll(r.dir)
	nonce := fmt.Sprint(time.Now().UnixNano())
	tag := r.project + ":s01"
	defer exec.Command("docker", "rmi", "-f", tag).Run()
	if err := writeBuildProject(r.dir, 1, nonce); err != nil {
		cold.fails = append(cold.fails, err.Error())
		return []buildRow{*cold, *warm}
	}
	build := func(row *buildRow) {
		cmd := exec.CommandContext(ctx, "docker", "build", "-q", "--build-arg", "SVC=s01", "--build-arg", "NONCE="+nonce, "-t", tag, ".")
		cmd.Dir = r.dir
		cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		s := sample{wall: time.Since(start)}
		if ps := cmd.ProcessState; ps != nil {
			s.cpu = ps.UserTime() + ps.SystemTime()
		}
		if err != nil {
			row.fails = append(row.fails, fmt.Sprintf("docker build: %v: %s", err, tail(string(out), 6)))
			return
		}
		row.samples = append(row.samples, s)
	}
	build(cold)
	for range cfg.reps {
		build(warm)
	}
	return []buildRow{*cold, *warm}
}
