package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type lsOptions struct {
	All    bool
	Quiet  bool
	Format string
	Filter []string
}

func newLsCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &lsOptions{}
	cmd := &cobra.Command{
		Use:   "ls [OPTIONS]",
		Short: "List running compose projects",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLs(cmd.Context(), deps, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "show all projects, stopped ones included")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only display project names")
	f.StringVar(&o.Format, "format", "table", "format the output: table or json")
	f.StringArrayVar(&o.Filter, "filter", nil, "filter output based on conditions provided (name=NAME)")
	return cmd
}

// lsStack is one project of `ls`, with Docker Compose's JSON field names.
type lsStack struct {
	Name        string `json:"Name"`
	Status      string `json:"Status"`
	ConfigFiles string `json:"ConfigFiles"`
}

func runLs(ctx context.Context, deps *Deps, g *globalOptions, o *lsOptions) error {
	if o.Format != "table" && o.Format != "json" {
		return usageError{fmt.Errorf("invalid --format %q: use table or json", o.Format)}
	}
	var names []string
	for _, f := range o.Filter {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != "name" {
			return usageError{fmt.Errorf("invalid --filter %q: only name=NAME is supported", f)}
		}
		names = append(names, v)
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	cs, err := eng.ListAllContainers(ctx, o.All)
	if err != nil {
		return err
	}
	stacks := groupStacks(cs, names)
	switch {
	case o.Quiet:
		for _, s := range stacks {
			fmt.Fprintln(deps.Stdout, s.Name)
		}
	case o.Format == "json":
		if stacks == nil {
			stacks = []lsStack{}
		}
		return json.NewEncoder(deps.Stdout).Encode(stacks)
	default:
		tw := tabwriter.NewWriter(deps.Stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATUS\tCONFIG FILES")
		for _, s := range stacks {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Status, s.ConfigFiles)
		}
		tw.Flush()
	}
	return nil
}

// groupStacks groups containers by project, sorted by name, keeping the
// projects whose name contains one of names (all when none).
func groupStacks(cs []convergence.Container, names []string) []lsStack {
	states := map[string][]string{}
	files := map[string][]string{}
	for _, c := range cs {
		p := c.Project
		if len(names) > 0 && !containsAny(p, names) {
			continue
		}
		states[p] = append(states[p], c.State)
		for _, f := range strings.Split(c.ConfigFiles, ",") {
			if f != "" && !contains(files[p], f) {
				files[p] = append(files[p], f)
			}
		}
	}
	var out []lsStack
	for p, st := range states {
		out = append(out, lsStack{Name: p, Status: combinedStatus(st), ConfigFiles: strings.Join(files[p], ",")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// combinedStatus counts states as Docker Compose shows them, sorted by
// state: "exited(1), running(2)".
func combinedStatus(states []string) string {
	count := map[string]int{}
	for _, s := range states {
		count[s]++
	}
	keys := make([]string, 0, len(count))
	for s := range count {
		keys = append(keys, s)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, s := range keys {
		parts[i] = fmt.Sprintf("%s(%d)", s, count[s])
	}
	return strings.Join(parts, ", ")
}
