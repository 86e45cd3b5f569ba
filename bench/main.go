// Command bench measures mycompose against the Docker Compose releases
// scripts/compose-peers.sh installs (and `docker compose` when present) and
// against the floor: the same engine work issued straight through the
// engine API with everything in flight and no compose logic, so that each
// scenario's physical limit is measured in the same run. It checks the
// goals of issue #17 and writes bench/RESULTS.md, the growth plots and
// README's speed table.
//
//	go run ./bench -out bench/RESULTS.md [-readme README.md] [-reps 3]
//	    [-scenarios 1,2,...] [-tools mycompose,5.6.0,floor] [-quick] [-latency 30ms]
//	go run ./bench -proxy /tmp/engine.sock [-latency 30ms]
//
// With -devloop and no -scenarios, only the dev loop runs (devloop.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mycompose/mycompose/convergence/dockerengine"
)

// testImage is built offline by scripts/test-images.sh; nothing is pulled.
const testImage = "mycompose-test/busybox:latest"

// config is the parsed command line.
type config struct {
	out       string
	reps      int
	scenarios []int // selection numbers 1..11; empty: all but 8
	tools     []string
	quick     bool
	bin       string        // mycompose binary; empty: built from the module
	devloop   []string      // dev loop parts (devloop.go); empty: none
	noClassic bool          // only the dev loop: none of the scenarios above
	latency   time.Duration // added per API call in the remote-engine scenarios
	readme    string        // README to update; "" leaves it alone
	log       io.Writer
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == measureFlag && os.Args[2] == "--" {
		measureMain(os.Args[3:])
	}
	var cfg config
	var scen, tools string
	flag.StringVar(&cfg.out, "out", "bench/RESULTS.md", "Markdown results file; growth.png is written next to it")
	flag.IntVar(&cfg.reps, "reps", 3, "repetitions per tool and scenario")
	flag.StringVar(&scen, "scenarios", "", "comma-separated scenario numbers 1-11 (default: all but 8)")
	flag.StringVar(&tools, "tools", "", "comma-separated tools: mycompose, docker-compose, docker-compose-v2, floor (default: all present)")
	flag.BoolVar(&cfg.quick, "quick", false, "small sizes, for a smoke run")
	flag.StringVar(&cfg.bin, "bin", "", "mycompose binary to measure (default: go build ./cmd/mycompose into a temp dir)")
	devloop := flag.String("devloop", strings.Join(devloopParts, ","), "dev loop parts beside Compose v5.6: watch, build, or none (alone: only these)")
	flag.StringVar(&cfg.readme, "readme", "", "README whose speed table (between bench:speed markers) is rewritten from this run")
	proxy := flag.String("proxy", "", "only serve the API proxy on this unix socket (adds -latency per call, prints the calls) until interrupted")
	flag.DurationVar(&cfg.latency, "latency", 30*time.Millisecond, "delay the API proxy adds to every engine API call (remote-engine scenarios, -proxy)")
	flag.Parse()
	var err error
	if cfg.scenarios, err = parseInts(scen); err != nil {
		fatal(err)
	}
	if cfg.devloop, err = parseDevloop(*devloop); err != nil {
		fatal(err)
	}
	flag.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "scenarios":
			if !isSet("devloop") {
				cfg.devloop = nil
			}
		case "devloop":
			cfg.noClassic = !isSet("scenarios")
		}
	})
	if tools != "" {
		cfg.tools = strings.Split(tools, ",")
	}
	cfg.log = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *proxy != "" {
		if err := serveProxy(ctx, *proxy, cfg.latency, os.Stdout); err != nil {
			fatal(err)
		}
		return
	}
	res, err := run(ctx, cfg)
	if err != nil {
		fatal(err)
	}
	if n := res.failures(); n > 0 {
		fmt.Fprintf(os.Stderr, "bench: %d run(s) failed their correctness check (see %s)\n", n, cfg.out)
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 11 {
			return nil, fmt.Errorf("-scenarios: %q is not a scenario number 1-11", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// run executes the benchmark and writes the report; it returns the results
// even when some runs failed their checks.
func run(ctx context.Context, cfg config) (*results, error) {
	if cfg.reps < 1 {
		return nil, fmt.Errorf("-reps must be at least 1")
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	if err := ensureImage(root); err != nil {
		return nil, err
	}
	bin := cfg.bin
	if bin != "" {
		// The tools run in their projects' directories.
		if bin, err = filepath.Abs(bin); err != nil {
			return nil, err
		}
	}
	if bin == "" {
		tmp, err := os.MkdirTemp("", "mcbench-bin")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "mycompose")
		build := exec.Command("go", "build", "-o", bin, "./cmd/mycompose")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0") // as Docker Compose is built: no dynamic loader at start
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/mycompose: %v\n%s", err, out)
		}
	}
	tools, err := selectTools(cfg.tools, bin, root)
	if err != nil {
		return nil, err
	}
	eng, err := dockerengine.New("")
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	if err := eng.Ping(ctx); err != nil {
		return nil, err
	}
	scens := selectScenarios(cfg.scenarios, cfg.quick)
	if cfg.noClassic {
		scens = nil
	}
	res := &results{cfg: cfg, tools: tools, scenarios: scens, started: time.Now(), env: describeMachine(tools)}
	var proxy *apiProxy
	var feng *dockerengine.Engine
	if slices.ContainsFunc(scens, func(sc *scenario) bool { return sc.remote }) {
		dir, err := os.MkdirTemp("", "mcbench-proxy")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if proxy, err = startProxy(filepath.Join(dir, "engine.sock"), engineSocket(), cfg.latency); err != nil {
			return nil, err
		}
		defer proxy.close()
		if feng, err = dockerengine.New(proxy.dockerHost()); err != nil {
			return nil, err
		}
		defer feng.Close()
		if err := feng.Ping(ctx); err != nil {
			return nil, err
		}
	}
	total, done := 0, 0
	for rep := 1; rep <= cfg.reps; rep++ {
		for _, sc := range scens {
			for _, t := range tools {
				if runs(sc, t, rep, cfg.reps) {
					total++
				}
			}
		}
	}
	fmt.Fprintf(cfg.log, "bench: %d scenarios x up to %d reps x %d tools (%s) = %d runs\n",
		len(scens), cfg.reps, len(tools), toolNames(tools), total)
	// Repetitions outermost: a burst of foreign load on the shared engine
	// then hits one repetition of many scenarios, not every repetition of one.
	for rep := 1; rep <= cfg.reps; rep++ {
		for _, sc := range scens {
			for _, t := range tools {
				if !runs(sc, t, rep, cfg.reps) {
					continue
				}
				if err := ctx.Err(); err != nil {
					return res, err
				}
				done++
				r := &runner{eng: eng, sc: sc, tool: t}
				if sc.remote {
					r.proxy, r.feng = proxy, feng
				}
				s, err := r.do(ctx)
				status := "ok"
				if err != nil {
					status = "FAIL: " + firstLine(err.Error())
				}
				res.add(sc, t, s, err)
				for _, x := range r.more {
					res.add(x.sc, t, x.s, x.err)
					if x.err != nil {
						status += fmt.Sprintf("; %s FAIL: %s", x.sc.id, firstLine(x.err.Error()))
					}
				}
				if r.calls != nil {
					res.setCalls(t, r.calls)
				}
				if sc.logs != nil {
					res.setLogs(t, r.logs)
				}
				res.loads = append(res.loads, load1())
				if r.leaked {
					res.leaked = append(res.leaked, r.network())
					status += " (the engine kept the network: moby/moby#42119)"
				}
				fmt.Fprintf(cfg.log, "[%3d/%d] %-5s %-15s rep %d/%d %8.3fs  cpu %6.3fs  %s\n",
					done, total, sc.id, t.name, rep, sc.reps(cfg.reps), s.wall.Seconds(), s.cpu.Seconds(), status)
			}
		}
	}
	if len(cfg.devloop) > 0 {
		if res.devloop, err = runDevloop(ctx, cfg, root, bin, eng); err != nil {
			return res, err
		}
	}
	res.finished = time.Now()
	if err := res.write(cfg.out); err != nil {
		return res, err
	}
	if cfg.readme != "" {
		if err := res.updateReadme(cfg.readme); err != nil {
			return res, err
		}
	}
	fmt.Fprintf(cfg.log, "bench: wrote %s in %s\n", cfg.out, res.finished.Sub(res.started).Round(time.Second))
	return res, nil
}

// isSet reports whether the flag was given on the command line.
func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// runs reports whether tool t runs scenario sc in repetition rep.
func runs(sc *scenario, t *tool, rep, reps int) bool {
	return !sc.follower && rep <= sc.reps(reps) && !(sc.logs != nil && t.isFloor())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// moduleRoot finds the directory holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// ensureImage builds the offline test images when they are missing.
func ensureImage(root string) error {
	if exec.Command("docker", "image", "inspect", testImage).Run() == nil {
		return nil
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "test-images.sh"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the test images: %v\n%s", err, out)
	}
	return nil
}
