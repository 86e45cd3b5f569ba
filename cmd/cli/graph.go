package cli

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/project"
)

type graphOptions struct {
	Format string
}

func newGraphCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &graphOptions{}
	cmd := &cobra.Command{
		Use:   "graph [OPTIONS]",
		Short: "Print the services' dependency graph (Mermaid or Graphviz DOT)",
		Long: `Print the graph of the services' depends_on, sorted so that the output
only changes when the file does. An arrow goes from a service to a service
it depends on, labelled with the condition unless it is service_started.

  mycompose graph                 # Mermaid: paste into Markdown on GitHub
  mycompose graph --format dot | dot -Tsvg > graph.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Format != "mermaid" && o.Format != "dot" {
				return usageError{fmt.Errorf("invalid --format %q: use mermaid or dot", o.Format)}
			}
			p, err := g.load(cmd.Context(), deps)
			if err != nil {
				return err
			}
			return writeGraph(deps.Stdout, p, o.Format)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "mermaid", "output format: mermaid or dot")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"mermaid", "dot"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// graphEdge is one depends_on entry between two enabled services.
type graphEdge struct {
	from, to, label string
}

// graphOf returns the services and edges, sorted. Dependencies on services
// that are not enabled (optional ones disabled by a profile) are left out.
func graphOf(p *project.Project) ([]string, []graphEdge) {
	var nodes []string
	enabled := map[string]bool{}
	for _, s := range p.Services {
		nodes = append(nodes, s.Name)
		enabled[s.Name] = true
	}
	sort.Strings(nodes)
	var edges []graphEdge
	for _, s := range p.Services {
		for _, d := range s.DependsOn {
			if !enabled[d.Service] {
				continue
			}
			e := graphEdge{from: s.Name, to: d.Service}
			if d.Condition != "" && d.Condition != project.ConditionStarted {
				e.label = d.Condition
			}
			edges = append(edges, e)
		}
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].from != edges[j].from {
			return edges[i].from < edges[j].from
		}
		return edges[i].to < edges[j].to
	})
	return nodes, edges
}

func writeGraph(w io.Writer, p *project.Project, format string) error {
	nodes, edges := graphOf(p)
	var b strings.Builder
	if format == "dot" {
		writeDot(&b, p.Name, nodes, edges)
	} else {
		writeMermaid(&b, p.Name, nodes, edges)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDot(b *strings.Builder, name string, nodes []string, edges []graphEdge) {
	fmt.Fprintf(b, "digraph %s {\n", dotID(name))
	b.WriteString("  rankdir=LR;\n  node [shape=box];\n")
	for _, n := range nodes {
		fmt.Fprintf(b, "  %s;\n", dotID(n))
	}
	for _, e := range edges {
		fmt.Fprintf(b, "  %s -> %s", dotID(e.from), dotID(e.to))
		if e.label != "" {
			fmt.Fprintf(b, " [label=%s]", dotID(e.label))
		}
		b.WriteString(";\n")
	}
	b.WriteString("}\n")
}

func dotID(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

func writeMermaid(b *strings.Builder, name string, nodes []string, edges []graphEdge) {
	ids := mermaidIDs(nodes)
	fmt.Fprintf(b, "%%%% project %s: an arrow goes from a service to a service it depends on\n", name)
	b.WriteString("flowchart LR\n")
	for _, n := range nodes {
		fmt.Fprintf(b, "  %s[\"%s\"]\n", ids[n], n)
	}
	for _, e := range edges {
		if e.label != "" {
			fmt.Fprintf(b, "  %s -->|%s| %s\n", ids[e.from], e.label, ids[e.to])
		} else {
			fmt.Fprintf(b, "  %s --> %s\n", ids[e.from], ids[e.to])
		}
	}
}

var mermaidUnsafe = regexp.MustCompile(`[^A-Za-z0-9_]`)

// mermaidIDs gives each service a node ID that Mermaid cannot misread:
// letters, digits and underscores only, never a keyword such as "end", and
// unique (the label keeps the real name).
func mermaidIDs(nodes []string) map[string]string {
	keywords := map[string]bool{"end": true, "graph": true, "flowchart": true, "subgraph": true,
		"direction": true, "style": true, "class": true, "classdef": true, "click": true, "linkstyle": true, "default": true}
	ids := map[string]string{}
	used := map[string]bool{}
	for _, n := range nodes {
		id := mermaidUnsafe.ReplaceAllString(n, "_")
		if keywords[strings.ToLower(id)] || id != n {
			id = "svc_" + id
		}
		for base, i := id, 2; used[id]; i++ {
			id = fmt.Sprintf("%s_%d", base, i)
		}
		used[id] = true
		ids[n] = id
	}
	return ids
}
