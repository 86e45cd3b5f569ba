package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/project"
)

type volumesOptions struct {
	Quiet  bool
	Format string
}

func newVolumesCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &volumesOptions{}
	cmd := &cobra.Command{
		Use:   "volumes [OPTIONS] [SERVICE...]",
		Short: "List the project's volumes (those of the named services only, when given)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVolumes(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only display volume names")
	f.StringVar(&o.Format, "format", "table", "format the output: table, json or a Go template such as '{{.Name}}'")
	return cmd
}

// volumeEntry is one line of `volumes`, with the docker CLI's JSON names.
type volumeEntry struct {
	Name   string            `json:"Name"`
	Driver string            `json:"Driver"`
	Labels map[string]string `json:"Labels"`
}

func runVolumes(ctx context.Context, deps *Deps, g *globalOptions, o *volumesOptions, args []string) error {
	var tmpl *template.Template
	if o.Format != "table" && o.Format != "json" {
		var err error
		if tmpl, err = template.New("format").Parse(o.Format); err != nil {
			return usageError{fmt.Errorf("invalid --format %q: use table, json or a Go template such as '{{.Name}}': %v", o.Format, err)}
		}
	}
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	vols, err := t.eng.ListVolumes(ctx, t.name)
	if err != nil {
		return err
	}
	keep := volumesOfServices(t.p, args)
	var entries []volumeEntry
	for _, v := range vols {
		if keep != nil && !keep[v.Name] {
			continue
		}
		entries = append(entries, volumeEntry{Name: v.Name, Driver: v.Driver, Labels: v.Labels})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return printVolumes(deps.Stdout, o, tmpl, entries)
}

// volumesOfServices returns the engine names of the named volumes that the
// given services mount, or nil (everything) when no service is named or
// the compose file is unknown.
func volumesOfServices(p *project.Project, services []string) map[string]bool {
	if len(services) == 0 || p == nil {
		return nil
	}
	out := map[string]bool{}
	for _, name := range services {
		s, _ := p.Service(name)
		for _, m := range s.Container.Mounts {
			if m.Type == project.MountVolume && m.Source != "" {
				out[m.Source] = true
			}
		}
	}
	return out
}

func printVolumes(w io.Writer, o *volumesOptions, tmpl *template.Template, entries []volumeEntry) error {
	switch {
	case o.Quiet:
		for _, e := range entries {
			fmt.Fprintln(w, e.Name)
		}
	case o.Format == "json":
		enc := json.NewEncoder(w)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
	case tmpl != nil:
		for _, e := range entries {
			if err := tmpl.Execute(w, e); err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			fmt.Fprintln(w)
		}
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "DRIVER\tVOLUME NAME")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\n", e.Driver, e.Name)
		}
		return tw.Flush()
	}
	return nil
}
