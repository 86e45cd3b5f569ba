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

// TestSmoke runs a quick benchmark (small sizes, one repetition, mycompose
// and the floor) against the local engine and checks that every scenario
// produced a number, that every correctness check passed and that the
// report and the growth plot were written.
func TestSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "RESULTS.md")
	cfg := config{
		out: out, reps: 1, quick: true,
		scenarios: []int{1, 3, 8},
		tools:     []string{"mycompose", "floor"},
		log:       testWriter{t},
	}
	res, err := run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.scenarios) != 4 { // 1, 3, 8/3, 8/6
		t.Fatalf("%d scenarios run, want 4", len(res.scenarios))
	}
	for _, sc := range res.scenarios {
		for _, tl := range res.tools {
			c := res.cell(sc, tl)
			for _, f := range c.fails {
				t.Errorf("scenario %s, %s: %s", sc.id, tl.name, f)
			}
			if len(c.samples) != 1 {
				t.Errorf("scenario %s, %s: %d samples, want 1", sc.id, tl.name, len(c.samples))
				continue
			}
			s := c.samples[0]
			if s.wall <= 0 || s.wall > time.Minute || s.cpu < 0 {
				t.Errorf("scenario %s, %s: implausible sample %+v", sc.id, tl.name, s)
			}
			if !tl.isFloor() && s.cpu <= 0 {
				t.Errorf("scenario %s, %s: no client CPU time measured", sc.id, tl.name)
			}
		}
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 1 |", "| 3 |", "| 8/6 |", "mycompose", "floor", "growth.png"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	png, err := os.ReadFile(filepath.Join(filepath.Dir(out), "growth.png"))
	if err != nil || len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Errorf("growth.png missing or not a PNG (%d bytes, %v)", len(png), err)
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
