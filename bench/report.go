package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// cell is every run of one tool on one scenario.
type cell struct {
	samples []sample // successful runs
	fails   []string
}

type results struct {
	cfg       config
	tools     []*tool
	scenarios []*scenario
	cells     map[string]*cell // scenario id + "\x00" + tool name
	env       string
	loads     []float64 // 1-minute load average after each run
	leaked    []string  // networks the engine would not remove after a run
	devloop   *devloopResults
	started   time.Time
	finished  time.Time
	calls     map[string]map[string]map[string]int // tool -> remote step -> call kind -> count (last run)
	logs      map[string]logsResult                // tool -> scenario 11's check (last run)
}

func (r *results) setCalls(t *tool, c map[string]map[string]int) {
	if r.calls == nil {
		r.calls = map[string]map[string]map[string]int{}
	}
	r.calls[t.name] = c
}

func (r *results) setLogs(t *tool, l logsResult) {
	if r.logs == nil {
		r.logs = map[string]logsResult{}
	}
	r.logs[t.name] = l
}

func (r *results) cell(sc *scenario, t *tool) *cell {
	if r.cells == nil {
		r.cells = map[string]*cell{}
	}
	k := sc.id + "\x00" + t.name
	if r.cells[k] == nil {
		r.cells[k] = &cell{}
	}
	return r.cells[k]
}

func (r *results) add(sc *scenario, t *tool, s sample, err error) {
	c := r.cell(sc, t)
	if err != nil {
		c.fails = append(c.fails, err.Error())
		return
	}
	c.samples = append(c.samples, s)
}

func (r *results) failures() int {
	n := 0
	for _, c := range r.cells {
		n += len(c.fails)
	}
	return n + r.devloop.failures()
}

func (c *cell) ok() bool { return len(c.samples) > 0 }

// stats returns min and median wall seconds and median CPU seconds.
func (c *cell) stats() (lo, med, cpu float64) {
	var walls, cpus []float64
	for _, s := range c.samples {
		walls = append(walls, s.wall.Seconds())
		cpus = append(cpus, s.cpu.Seconds())
	}
	return slices.Min(walls), median(walls), median(cpus)
}

// rssMB returns the median peak RSS in MB (0 when not measured).
func (c *cell) rssMB() float64 {
	var xs []float64
	for _, s := range c.samples {
		xs = append(xs, float64(s.rss)/1024)
	}
	if len(xs) == 0 {
		return 0
	}
	return median(xs)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// floorStats returns the floor's min and median for the scenario, zeros
// when the floor did not run.
func (r *results) floorStats(sc *scenario) (lo, med float64) {
	for _, t := range r.tools {
		if t.isFloor() {
			if c := r.cell(sc, t); c.ok() {
				lo, med, _ = c.stats()
			}
		}
	}
	return lo, med
}

func ratio(x, floor float64) string {
	if floor <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", x/floor)
}

// describeMachine returns the report's header lines.
func describeMachine(tools []*tool) string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(string(data), "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.1f GiB RAM", float64(kb)/(1<<20))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- Machine: %s, %d cores%s, Linux %s\n", cpu, runtime.NumCPU(), mem, output("uname", "-r"))
	fmt.Fprintf(&b, "- Engine: Docker %s, storage driver %s\n",
		output("docker", "version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"),
		output("docker", "info", "--format", "{{.Driver}}"))
	b.WriteString("- Tools: ")
	for i, t := range tools {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s)", t.name, t.version)
	}
	if !slices.ContainsFunc(tools, func(t *tool) bool { return t.name == "docker compose" }) {
		b.WriteString("; `docker compose` v2 not measured (absent or not selected)")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- At the start: %d other containers on the engine, load average %s\n",
		len(strings.Fields(output("docker", "ps", "-aq"))), loadavg())
	return b.String()
}

// write renders the Markdown report and the growth plots next to it.
func (r *results) write(out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# mycompose benchmark\n\n")
	fmt.Fprintf(&b, "- Date: %s, %s wall (`make bench`)\n", r.started.UTC().Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second))
	b.WriteString(r.env)
	if len(r.loads) > 0 {
		fmt.Fprintf(&b, "- 1-minute load average after each run: median %.1f, max %.1f\n", median(r.loads), slices.Max(r.loads))
		if r.busy() {
			b.WriteString("- **Warning: the machine was busy with other work during the run (load above its core count); single runs vary by tens of\n" +
				"  percent, so read the ratios as ±0.3 and prefer the min columns. Re-run on a quiet machine for finer numbers.**\n")
		}
	}
	mode := ""
	if r.cfg.quick {
		mode = " (quick mode: small sizes, not the goals' sizes)"
	}
	fmt.Fprintf(&b, "- Repetitions: %d per tool and scenario (1 for the 100- and 300-service growth and for `logs -f`)%s, interleaved tool by tool\n", r.cfg.reps, mode)
	fmt.Fprintf(&b, "- Remote engine (scenario 10): every API call delayed %s by a proxy on a unix socket (bench/apiproxy.go)\n", r.cfg.latency)
	if len(r.leaked) > 0 {
		fmt.Fprintf(&b, "- Networks the engine refused to remove after a run (\"active endpoints\" with no container: "+
			"moby/moby#42119), left behind until the daemon restarts: %d (%s)\n", len(r.leaked), strings.Join(r.leaked, ", "))
	}
	b.WriteString("\n## Goals (issue #17)\n\n")
	b.WriteString(r.goals())
	b.WriteString("\n## All runs\n\n")
	b.WriteString("Each run uses a fresh project (`mcbench-<scenario>-<tool>-<rand>`), an untimed setup, one timed step and a\n" +
		"correctness check (right containers running under the tool's names, nothing recreated that should not be),\n" +
		"then removes everything carrying the project label. Seconds are wall time of the client process; CPU is\n" +
		"user+sys of the client process (floor: of the in-process floor calls), median; RSS is the client's peak\n" +
		"resident memory, median. `× floor` is the tool's min / the floor's min, and median / the floor's median.\n" +
		"Rows 9/Nn and 10b/10c are timed in the same run as 9/N and 10a, after them.\n\n")
	b.WriteString("| # | Scenario | Tool | min s | median s | × floor min | × floor median | CPU s | RSS MB | checks |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, sc := range r.scenarios {
		if sc.logs != nil {
			continue
		}
		flMin, fl := r.floorStats(sc)
		for _, t := range r.tools {
			c := r.cell(sc, t)
			checks := fmt.Sprintf("%d/%d ok", len(c.samples), len(c.samples)+len(c.fails))
			if !c.ok() {
				fmt.Fprintf(&b, "| %s | %s | %s | – | – | – | – | – | – | %s |\n", sc.id, sc.title, t.name, checks)
				continue
			}
			lo, med, cpu := c.stats()
			rss := "–"
			if m := c.rssMB(); m > 0 {
				rss = fmt.Sprintf("%.1f", m)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.3f | %.3f | %s | %s | %.3f | %s | %s |\n",
				sc.id, sc.title, t.name, lo, med, ratio(lo, flMin), ratio(med, fl), cpu, rss, checks)
		}
	}
	b.WriteString("\nThe floor per scenario: 1, 6, 7, 9, 10a: network create, then every container's create+start in flight " +
		"(6: each start waits for its dependency's start; 7: starts retried on the engine's port-allocator race); " +
		"2, 9/Nn, 10b: one list call; 3: list, then stop+remove+create+start of one container; 4, 8: list, then create+start of " +
		"the added replicas in flight; 5, 10c: list, stop+remove of every container in flight, network remove (retried while the engine still reports " +
		"the removed containers' endpoints as active). In scenario 10 the floor's calls go through the same proxy.\n")
	b.WriteString(r.callsTable())
	b.WriteString(r.serviceGrowth(filepath.Dir(out)))
	b.WriteString(r.replicaGrowth(filepath.Dir(out)))
	b.WriteString(r.logsTable())
	dl, err := r.devloop.markdown(filepath.Dir(out))
	if err != nil {
		return err
	}
	b.WriteString(dl)
	var fails []string
	for _, sc := range r.scenarios {
		for _, t := range r.tools {
			for _, f := range r.cell(sc, t).fails {
				fails = append(fails, fmt.Sprintf("- %s / %s:\n\n```\n%s\n```\n", sc.id, t.name, tail(f, 16)))
			}
		}
	}
	if len(fails) > 0 {
		b.WriteString("\n## Failed runs\n\n" + strings.Join(fails, "\n"))
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// busy reports whether the machine ran other work during the benchmark.
func (r *results) busy() bool {
	return len(r.loads) > 0 && median(r.loads) > float64(runtime.NumCPU())
}

// load1 returns the 1-minute load average.
func load1() float64 {
	var l float64
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscanf(string(data), "%f", &l)
	}
	return l
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
