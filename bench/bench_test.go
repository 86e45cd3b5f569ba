package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence/dockerengine"
)

// TestMain serves measure mode: the benchmark runs each tool under its own
// binary, which in a test is this one.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == measureFlag && os.Args[2] == "--" {
		measureMain(os.Args[3:])
	}
	os.Exit(m.Run())
}

// TestSmoke runs a quick benchmark (small sizes, one repetition, mycompose
// and the floor) of the scenarios the goals use, against the local engine,
// and checks that every scenario produced a number, that every correctness
// check passed, that the API calls were counted (a no-op: one ping, no
// version call) and that the report, the plots and the README table were
// written. It times nothing.
func TestSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	out := filepath.Join(dir, "RESULTS.md")
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("# x\n\n"+readmeBegin+"\nold\n"+readmeEnd+"\n\nafter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config{
		out: out, readme: readme, reps: 1, quick: true, latency: 5 * time.Millisecond,
		scenarios: []int{1, 2, 3, 9, 10, 11},
		tools:     []string{"mycompose", "floor"},
		log:       testWriter{t},
	}
	res, err := run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 1, 2, 3, 9/8, 9/8n, 10a, 10b, 10c, 11
	if len(res.scenarios) != 9 {
		t.Fatalf("%d scenarios run, want 9", len(res.scenarios))
	}
	for _, sc := range res.scenarios {
		for _, tl := range res.tools {
			if sc.logs != nil && tl.isFloor() {
				continue
			}
			c := res.cell(sc, tl)
			for _, f := range c.fails {
				t.Errorf("scenario %s, %s: %s", sc.id, tl.name, f)
			}
			if len(c.samples) != 1 {
				t.Errorf("scenario %s, %s: %d samples, want 1", sc.id, tl.name, len(c.samples))
				continue
			}
			s := c.samples[0]
			if s.wall <= 0 || s.wall > 2*time.Minute || s.cpu < 0 {
				t.Errorf("scenario %s, %s: implausible sample %+v", sc.id, tl.name, s)
			}
			// The tool's own peak RSS, not the benchmark's it was forked
			// from (see measure.go): mycompose is well under 100 MB.
			if !tl.isFloor() && (s.cpu <= 0 || s.rss <= 1024 || s.rss > 100<<10) {
				t.Errorf("scenario %s, %s: implausible client CPU time or memory: %+v", sc.id, tl.name, s)
			}
		}
	}
	noop := res.calls["mycompose"]["no-op up"]
	if noop["HEAD /_ping"] != 1 || noop["GET /version"] != 0 || noop["GET /containers/json"] != 1 {
		t.Errorf("a no-op up made %s; want one ping, one container list, no version call", formatCounts(noop))
	}
	if l := res.logs["mycompose"]; l.lines == 0 || l.lost != 0 || l.bad != 0 {
		t.Errorf("logs -f: %+v", l)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Goals", "| 1 |", "| 9/8n |", "| 10b |", "## API calls per command", "## Growth by services", "growth.png", "logs -f"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	for _, name := range []string{"growth.png", "growth-noop.png"} {
		png, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(png) < 1000 || string(png[1:4]) != "PNG" {
			t.Errorf("%s missing or not a PNG (%d bytes, %v)", name, len(png), err)
		}
	}
	rd, _ := os.ReadFile(readme)
	if strings.Contains(string(rd), "\nold\n") || !strings.Contains(string(rd), "| mycompose |") || !strings.HasSuffix(string(rd), "\nafter\n") {
		t.Errorf("README table not rewritten:\n%s", rd)
	}
}

// testWriter sends the progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestDevloopSmoke runs the dev loop's scenarios in quick mode for
// mycompose alone and checks that each produced numbers and passed its
// checks, and that the report section and the latency plot were written.
func TestDevloopSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "mycompose")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/mycompose").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := ensureImage(root); err != nil {
		t.Fatal(err)
	}
	eng, err := dockerengine.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cfg := config{reps: 1, quick: true, tools: []string{"mycompose"}, devloop: devloopParts, log: testWriter{t}}
	d, err := runDevloop(ctx, cfg, root, bin, eng)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.watch) != 3 {
		t.Errorf("%d watch rows, want 3", len(d.watch))
	}
	for _, w := range d.watch {
		if w.err != nil || len(w.lat) == 0 {
			t.Errorf("watch %s: %d samples, %v", w.scenario, len(w.lat), w.err)
		}
	}
	steps := map[string]bool{}
	for _, b := range d.build {
		steps[b.step] = true
		if len(b.fails) > 0 || len(b.samples) == 0 {
			t.Errorf("build %s / %s: %d samples, fails %v", b.tool, b.step, len(b.samples), b.fails)
		}
	}
	for _, st := range []string{stepCold, stepNoChange, stepOneFile, stepDockerC, stepDocker} {
		if !steps[st] {
			t.Errorf("no row for build step %s", st)
		}
	}
	dir := t.TempDir()
	md, err := d.markdown(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### Watch latency", "### Builds", "| mycompose | 10 edits 1s apart |", "watch.png"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if png, err := os.ReadFile(filepath.Join(dir, "watch.png")); err != nil || string(png[1:4]) != "PNG" {
		t.Errorf("watch.png missing or not a PNG: %v", err)
	}
}
