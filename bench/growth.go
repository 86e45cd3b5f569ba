package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

func runtimeCPUs() int { return runtime.NumCPU() }

// serviceSizes returns the project sizes of the service growth: scenario
// 1's and 9's.
func (r *results) serviceSizes() []int {
	var ns []int
	for _, sc := range r.scenarios {
		if sc.sel == 9 && !sc.follower {
			if len(ns) == 0 {
				if one := r.scenarioByID("1"); one != nil {
					ns = append(ns, one.services)
				}
			}
			ns = append(ns, sc.services)
		}
	}
	return ns
}

// serviceGrowth renders the growth by services (scenarios 1, 2 and 9) and
// plots it to growth.png (cold) and growth-noop.png (no-op) in dir.
func (r *results) serviceGrowth(dir string) string {
	ns := r.serviceSizes()
	if len(ns) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n## Growth by services (scenarios 1, 2 and 9)\n\n")
	b.WriteString("| services | Tool | cold `up -d` s | ms per service | no-op `up -d` s | ms per service | no-op CPU s | no-op RSS MB |\n|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range ns {
		for _, t := range r.tools {
			pick := func(x *tool) bool { return x == t }
			cold, _ := r.stat(r.growthRow(n, false), pick)
			noop, _ := r.stat(r.growthRow(n, true), pick)
			if !cold.ok && !noop.ok {
				continue
			}
			cell := func(st stat, f string, x float64) string {
				if !st.ok {
					return "–"
				}
				return fmt.Sprintf(f, x)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", n, t.name,
				cell(cold, "%.3f", cold.wall), cell(cold, "%.1f", cold.wall*1000/float64(n)),
				cell(noop, "%.3f", noop.wall), cell(noop, "%.2f", noop.wall*1000/float64(n)),
				cell(noop, "%.3f", noop.cpu), cell(noop, "%.1f", noop.rss))
		}
	}
	for _, noop := range []bool{false, true} {
		name, title := "growth.png", "cold up -d of N services (median)"
		if noop {
			name, title = "growth-noop.png", "no-op up -d of N services (median)"
		}
		err := r.plot(title, "services N", ns, func(n int) *scenario { return r.growthRow(n, noop) }, filepath.Join(dir, name))
		if err != nil {
			fmt.Fprintf(&b, "\n(plot %s: %v)\n", name, err)
			continue
		}
		fmt.Fprintf(&b, "\n![%s](%s)\n", title, name)
	}
	return b.String()
}

// replicaGrowth renders scenario 8 (growth by replicas of one service),
// plotted to growth-replicas.png.
func (r *results) replicaGrowth(dir string) string {
	var ns []int
	for _, sc := range r.scenarios {
		if sc.n > 0 {
			ns = append(ns, sc.n)
		}
	}
	if len(ns) == 0 {
		return ""
	}
	row := func(n int) *scenario {
		for _, sc := range r.scenarios {
			if sc.n == n {
				return sc
			}
		}
		return nil
	}
	var b strings.Builder
	b.WriteString("\n## Growth by replicas (scenario 8): seconds per added container\n\n")
	b.WriteString("| replicas | Tool | median s | s / added container | × floor |\n|---:|---|---:|---:|---:|\n")
	for _, n := range ns {
		sc := row(n)
		_, fl := r.floorStats(sc)
		for _, t := range r.tools {
			if c := r.cell(sc, t); c.ok() {
				_, med, _ := c.stats()
				fmt.Fprintf(&b, "| %d | %s | %.3f | %.3f | %s |\n", n, t.name, med, med/float64(sc.added), ratio(med, fl))
			}
		}
	}
	if err := r.plot("up -d --scale web=N from 1 (median)", "replicas N", ns, row, filepath.Join(dir, "growth-replicas.png")); err != nil {
		fmt.Fprintf(&b, "\n(plot: %v)\n", err)
	} else {
		b.WriteString("\n![seconds against replicas](growth-replicas.png)\n")
	}
	return b.String()
}

// plot draws median seconds against the sizes, one line per tool.
func (r *results) plot(title, xlabel string, ns []int, row func(int) *scenario, path string) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = "seconds"
	p.X.Min, p.Y.Min = 0, 0
	var ticks []plot.Tick
	for _, n := range ns {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: fmt.Sprint(n)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	var lines []any
	for _, t := range r.tools {
		var xys plotter.XYs
		for _, n := range ns {
			if sc := row(n); sc != nil {
				if c := r.cell(sc, t); c.ok() {
					_, med, _ := c.stats()
					xys = append(xys, plotter.XY{X: float64(n), Y: med})
				}
			}
		}
		if len(xys) > 0 {
			lines = append(lines, t.name, xys)
		}
	}
	if len(lines) == 0 {
		return fmt.Errorf("no data")
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	return p.Save(6*vg.Inch, 4*vg.Inch, path)
}
