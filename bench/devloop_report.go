package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Goals of issue 16.
const (
	watchGoalMS    = 100 // p50 of the steady edits
	buildGoalRatio = 1.2 // no-change up --build / docker build of one service
)

// markdown renders the dev loop section; the latency plot is written to
// dir/watch.png.
func (d *devloopResults) markdown(dir string) (string, error) {
	if d == nil {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("\n## Dev loop (issue 16): watch and builds\n\n")
	var names []string
	for _, t := range d.tools {
		names = append(names, fmt.Sprintf("%s (%s)", t.name, t.version))
	}
	fmt.Fprintf(&b, "- Tools: %s", strings.Join(names, ", "))
	if d.missing != "" {
		fmt.Fprintf(&b, "; %s", d.missing)
	}
	b.WriteString("\n")
	if len(d.loads) > 0 {
		fmt.Fprintf(&b, "- %s wall; 1-minute load average after each part: median %.1f, max %.1f\n",
			d.elapsed.Round(time.Second), median(d.loads), slices.Max(d.loads))
	}
	if len(d.watch) > 0 {
		b.WriteString("\n### Watch latency\n\n" +
			"Time from a file's rename into place on the host (an editor's atomic save) to the new content being\n" +
			"read in the container (a 5 ms read loop; the engine's log timestamps). Edits are paced by the clock,\n" +
			"not by the previous edit being seen; an edit overtaken by a later one counts as seen with it. Each\n" +
			"burst writes that many files into a new directory and then saves the watched file: its latency, and\n" +
			"afterwards every burst file must be in the container. One `watch` session per tool.\n\n")
		b.WriteString("| Tool | Scenario | p50 ms | p95 ms | max ms | n | checks |\n|---|---|---:|---:|---:|---:|---|\n")
		for _, w := range d.watch {
			if w.err != nil {
				fmt.Fprintf(&b, "| %s | %s | – | – | – | %d | FAIL: %s |\n", w.tool, w.scenario, len(w.lat), firstLine(w.err.Error()))
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | ok |\n", w.tool, w.scenario, pct(w.lat, 50), pct(w.lat, 95), pct(w.lat, 100), len(w.lat))
		}
		fmt.Fprintf(&b, "\nGoal: p50 ≤ %d ms for steady edits 1 s and 0.4 s apart. ![watch latency](watch.png)\n", watchGoalMS)
		if err := d.plotWatch(filepath.Join(dir, "watch.png")); err != nil {
			return "", err
		}
	}
	if len(d.build) > 0 {
		b.WriteString("\n### Builds: services sharing a base stage\n\n" +
			"A project of " + fmt.Sprint(d.svcs) + " services built from one Dockerfile (a base stage with a\n" +
			"CPU-bound RUN, then a per-service COPY and RUN). Cold: a fresh base stage; no-change: `up -d --build`\n" +
			"again; one-file-change: one service's file edited. Checks: every service runs its built image; after a\n" +
			"change that service has a new image and container, and no other service does (for a peer, the services\n" +
			"that did anyway are counted in the checks column). `docker build` is\n" +
			"the classic builder (this engine's docker CLI has no buildx; Docker Compose v5.6 falls back to it too).\n" +
			"`× docker build` is the median over the median no-change `docker build` of one service.\n\n")
		var ref float64
		for _, r := range d.build {
			if r.step == stepDocker && len(r.samples) > 0 {
				_, ref, _ = (&cell{samples: r.samples}).stats()
			}
		}
		b.WriteString("| Step | Tool | min s | median s | × docker build | CPU s | checks |\n|---|---|---:|---:|---:|---:|---|\n")
		steps := []string{stepCold, stepNoChange, stepOneFile, stepDockerC, stepDocker}
		for _, st := range steps {
			for _, r := range d.build {
				if r.step != st {
					continue
				}
				checks := fmt.Sprintf("%d/%d ok", len(r.samples), len(r.samples)+len(r.fails))
				if r.needless > 0 {
					checks += fmt.Sprintf("; %d unchanged services got a new image and container", r.needless)
				}
				if len(r.samples) == 0 {
					fmt.Fprintf(&b, "| %s | %s | – | – | – | – | %s |\n", r.step, r.tool, checks)
					continue
				}
				lo, med, cpu := (&cell{samples: r.samples}).stats()
				fmt.Fprintf(&b, "| %s | %s | %.3f | %.3f | %s | %.3f | %s |\n", r.step, r.tool, lo, med, ratio(med, ref), cpu, checks)
			}
		}
		fmt.Fprintf(&b, "\nGoal: no-change `up -d --build` of %d services at most %.1f× one no-change `docker build`, and below Compose's.\n",
			d.svcs, buildGoalRatio)
	}
	var fails []string
	for _, w := range d.watch {
		if w.err != nil {
			fails = append(fails, fmt.Sprintf("- watch / %s / %s:\n\n```\n%s\n```\n", w.tool, w.scenario, tail(w.err.Error(), 16)))
		}
	}
	for _, r := range d.build {
		for _, f := range r.fails {
			fails = append(fails, fmt.Sprintf("- build / %s / %s:\n\n```\n%s\n```\n", r.tool, r.step, tail(f, 16)))
		}
	}
	if len(fails) > 0 {
		b.WriteString("\n### Failed dev loop runs\n\n" + strings.Join(fails, "\n"))
	}
	return b.String(), nil
}

// plotWatch draws the distribution of the steady edits' latencies, one
// line per tool and interval.
func (d *devloopResults) plotWatch(path string) error {
	p := plot.New()
	p.Title.Text = "watch: rename on the host -> content read in the container"
	p.X.Label.Text = "latency, ms (log scale)"
	p.Y.Label.Text = "fraction of edits seen"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Inch // right of the fast lines
	p.Add(plotter.NewGrid())
	var lines []any
	for _, w := range d.watch {
		if w.err != nil || len(w.lat) == 0 || strings.HasPrefix(w.scenario, "burst") {
			continue
		}
		s := slices.Clone(w.lat)
		slices.Sort(s)
		xys := make(plotter.XYs, len(s))
		for i, l := range s {
			ms := float64(l.Microseconds()) / 1000
			if ms < 1 {
				ms = 1 // the log scale starts at 1 ms
			}
			xys[i] = plotter.XY{X: ms, Y: float64(i+1) / float64(len(s))}
		}
		lines = append(lines, w.tool+", "+w.scenario, xys)
	}
	if len(lines) == 0 {
		return nil
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}
