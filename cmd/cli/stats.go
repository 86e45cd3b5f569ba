package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type statsOptions struct {
	All      bool
	Format   string
	NoStream bool
	NoTrunc  bool
}

func newStatsCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &statsOptions{}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [SERVICE...]",
		Short: "Display a live stream of the containers' resource usage",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStats(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "show all containers (default shows just running)")
	f.StringVar(&o.Format, "format", "table", "format the output: table, json or a Go template such as '{{.Name}} {{.CPUPerc}}'")
	f.BoolVar(&o.NoStream, "no-stream", false, "print one sample and exit")
	f.BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate the output")
	return cmd
}

// statsEntry is one line of `stats`, with the docker CLI's JSON names and
// its human-readable values.
type statsEntry struct {
	ID       string `json:"ID"`
	Name     string `json:"Name"`
	CPUPerc  string `json:"CPUPerc"`
	MemUsage string `json:"MemUsage"`
	MemPerc  string `json:"MemPerc"`
	NetIO    string `json:"NetIO"`
	BlockIO  string `json:"BlockIO"`
	PIDs     string `json:"PIDs"`
}

func runStats(ctx context.Context, deps *Deps, g *globalOptions, o *statsOptions, args []string) error {
	tmpl, err := parseRowFormat(o.Format)
	if err != nil {
		return err
	}
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	live := !o.NoStream && isTerminal(deps.Stdout)
	for {
		entries, err := sampleStats(ctx, t, o, args)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if live {
			// Home and clear, like `docker stats`, so the table stays in place.
			fmt.Fprint(deps.Stdout, "\x1b[H\x1b[2J")
		}
		if err := printStats(deps.Stdout, o, tmpl, entries); err != nil {
			return err
		}
		if o.NoStream {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// sampleStats samples every selected container in parallel; a container
// that goes away meanwhile is left out.
func sampleStats(ctx context.Context, t *projectTarget, o *statsOptions, services []string) ([]statsEntry, error) {
	cs, err := t.containers(ctx)
	if err != nil {
		return nil, err
	}
	var selected []convergence.Container
	for _, c := range selectContainers(cs, services, 0, true) {
		if o.All || c.State == "running" {
			selected = append(selected, c)
		}
	}
	entries := make([]statsEntry, len(selected))
	errs := make([]error, len(selected))
	var wg sync.WaitGroup
	for i, c := range selected {
		wg.Add(1)
		go func() {
			defer wg.Done()
			entries[i] = statsEntry{ID: c.ID, Name: c.Name, CPUPerc: "--", MemUsage: "-- / --", MemPerc: "--", NetIO: "--", BlockIO: "--", PIDs: "--"}
			if c.State != "running" {
				return
			}
			s, err := t.eng.ContainerStats(ctx, c.ID)
			if err != nil {
				errs[i] = err
				return
			}
			entries[i] = formatStats(c, s)
		}()
	}
	wg.Wait()
	var out []statsEntry
	for i, e := range entries {
		if errs[i] != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if !o.NoTrunc {
		for i := range out {
			out[i].ID = shortImageID(out[i].ID)
		}
	}
	return out, nil
}

func formatStats(c convergence.Container, s convergence.Stats) statsEntry {
	return statsEntry{
		ID: c.ID, Name: c.Name,
		CPUPerc:  fmt.Sprintf("%.2f%%", s.CPUPercent),
		MemUsage: binarySize(s.MemUsage) + " / " + binarySize(s.MemLimit),
		MemPerc:  fmt.Sprintf("%.2f%%", s.MemPercent),
		NetIO:    humanSize(int64(s.NetRx)) + " / " + humanSize(int64(s.NetTx)),
		BlockIO:  humanSize(int64(s.BlockRead)) + " / " + humanSize(int64(s.BlockWrite)),
		PIDs:     fmt.Sprint(s.PIDs),
	}
}

// binarySize renders memory like `docker stats`: 1024-based units.
func binarySize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", f), "0"), ".0") + units[i]
}

func printStats(w io.Writer, o *statsOptions, tmpl *template.Template, entries []statsEntry) error {
	return printRows(w, o.Format, tmpl, entries, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tNET I/O\tBLOCK I/O\tPIDS",
		func(e statsEntry) string {
			return strings.Join([]string{e.ID, e.Name, e.CPUPerc, e.MemUsage, e.MemPerc, e.NetIO, e.BlockIO, e.PIDs}, "\t")
		})
}
