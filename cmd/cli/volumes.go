package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
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
	tmpl, err := parseRowFormat(o.Format)
	if err != nil {
		return err
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
	if o.Quiet {
		for _, e := range entries {
			fmt.Fprintln(w, e.Name)
		}
		return nil
	}
	return printRows(w, o.Format, tmpl, entries, "DRIVER\tVOLUME NAME",
		func(e volumeEntry) string { return e.Driver + "\t" + e.Name })
}
