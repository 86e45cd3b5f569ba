package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type psOptions struct {
	All      bool
	Quiet    bool
	Services bool
	Format   string
	Status   []string
	// Filter holds --filter KEY=VALUE; Compose supports status only.
	Filter  []string
	NoTrunc bool
}

var containerStates = []string{"created", "restarting", "running", "removing", "paused", "exited", "dead"}

func newPsCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &psOptions{}
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [SERVICE...]",
		Short: "List containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPs(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "show all containers, stopped ones included")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only display IDs")
	f.BoolVar(&o.Services, "services", false, "display services")
	f.StringVar(&o.Format, "format", "table", "format the output: table or json")
	f.StringArrayVar(&o.Status, "status", nil, "filter by status: "+strings.Join(containerStates, ", "))
	f.StringArrayVar(&o.Filter, "filter", nil, "filter services by a property: status=STATE (repeatable)")
	f.BoolVar(&o.NoTrunc, "no-trunc", false, "don't truncate the output")
	return cmd
}

func (o *psOptions) validate() error {
	for _, f := range o.Filter {
		key, value, ok := strings.Cut(f, "=")
		if !ok || key != "status" {
			return usageError{fmt.Errorf("invalid --filter %q: use status=STATE", f)}
		}
		o.Status = append(o.Status, value)
	}
	if o.Format != "table" && o.Format != "json" {
		if _, err := template.New("format").Parse(o.Format); err != nil {
			return usageError{fmt.Errorf("invalid --format %q: use table, json or a Go template such as '{{.Name}}': %v", o.Format, err)}
		}
	}
	for _, s := range o.Status {
		if !contains(containerStates, s) {
			return usageError{fmt.Errorf("invalid --status %q: use one of %s", s, strings.Join(containerStates, ", "))}
		}
	}
	return nil
}

func runPs(ctx context.Context, deps *Deps, g *globalOptions, o *psOptions, args []string) error {
	if g.Swarm {
		return runSwarmPs(ctx, deps, g, o)
	}
	if err := o.validate(); err != nil {
		return err
	}
	name, p, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	if p != nil {
		for _, a := range args {
			if _, ok := p.Service(a); !ok {
				return unknownService(p, a)
			}
		}
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	all, err := eng.ListContainers(ctx, name)
	if err != nil {
		return err
	}
	shown := filterContainers(all, args, o)
	switch {
	case o.Services:
		for _, s := range serviceNames(shown) {
			fmt.Fprintln(deps.Stdout, s)
		}
	case o.Quiet:
		for _, c := range shown {
			fmt.Fprintln(deps.Stdout, c.ID)
		}
	case o.Format == "json":
		return printPsJSON(deps.Stdout, name, shown)
	case o.Format == "table":
		printPsTable(deps.Stdout, shown, o.NoTrunc)
	default:
		return printPsTemplate(deps.Stdout, o.Format, name, shown)
	}
	return nil
}

// filterContainers keeps the containers ps shows, sorted by name.
func filterContainers(all []convergence.Container, services []string, o *psOptions) []convergence.Container {
	var out []convergence.Container
	for _, c := range all {
		if len(services) > 0 && !contains(services, c.Service) {
			continue
		}
		if len(o.Status) > 0 {
			if !contains(o.Status, c.State) {
				continue
			}
		} else if !o.All && c.State != "running" && c.State != "restarting" && c.State != "paused" {
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func serviceNames(cs []convergence.Container) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cs {
		if s := c.Service; !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func printPsTable(w io.Writer, cs []convergence.Container, noTrunc bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS")
	for _, c := range cs {
		command := truncate(c.Command, 20)
		if noTrunc {
			command = c.Command
		}
		fmt.Fprintf(tw, "%s\t%s\t%q\t%s\t%s\t%s\t%s\n", c.Name, c.Image, command,
			c.Service, ago(c.Created), c.Status, formatPorts(c.Ports))
	}
	tw.Flush()
}

// psEntry is one line of `ps --format json`, with Docker Compose's field names.
type psEntry struct {
	ID         string        `json:"ID"`
	Name       string        `json:"Name"`
	Image      string        `json:"Image"`
	Command    string        `json:"Command"`
	Project    string        `json:"Project"`
	Service    string        `json:"Service"`
	Number     int           `json:"Number"`
	Created    int64         `json:"Created"`
	State      string        `json:"State"`
	Status     string        `json:"Status"`
	Health     string        `json:"Health"`
	Publishers []psPublisher `json:"Publishers"`
	Labels     string        `json:"Labels"`
	Networks   string        `json:"Networks"`
	RunningFor string        `json:"RunningFor"`
	LocalVols  int           `json:"LocalVolumes"`
	Mounts     string        `json:"Mounts"`
}

type psPublisher struct {
	URL           string `json:"URL"`
	TargetPort    uint16 `json:"TargetPort"`
	PublishedPort uint16 `json:"PublishedPort"`
	Protocol      string `json:"Protocol"`
}

// printPsJSON prints one JSON object per line, as Docker Compose v2 does.
func printPsJSON(w io.Writer, projectName string, cs []convergence.Container) error {
	enc := json.NewEncoder(w)
	for _, e := range psEntries(projectName, cs) {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}

// printPsTemplate renders each container with a Go template over the JSON
// entry's fields, as `docker compose ps --format '{{.Name}}'` does.
func printPsTemplate(w io.Writer, format, projectName string, cs []convergence.Container) error {
	tmpl, err := template.New("format").Parse(format)
	if err != nil {
		return err
	}
	for _, e := range psEntries(projectName, cs) {
		if err := tmpl.Execute(w, e); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// psEntries converts containers to ps entries.
func psEntries(projectName string, cs []convergence.Container) []psEntry {
	out := make([]psEntry, 0, len(cs))
	for _, c := range cs {
		e := psEntry{
			ID: c.ID, Name: c.Name, Image: c.Image, Command: c.Command, Project: projectName,
			Service: c.Service, Number: c.Number, Created: c.Created.Unix(),
			State: c.State, Status: c.Status, Health: health(c.Status), Publishers: []psPublisher{},
			Labels: joinLabels(c.Labels), Networks: strings.Join(sortedKeys(c.Networks), ","),
			RunningFor: ago(c.Created), Mounts: mountNames(c.Mounts),
		}
		for _, m := range c.Mounts {
			if m.Type == "volume" {
				e.LocalVols++
			}
		}
		for _, p := range c.Ports {
			e.Publishers = append(e.Publishers, psPublisher{URL: p.IP, TargetPort: p.PrivatePort, PublishedPort: p.PublicPort, Protocol: p.Type})
		}
		out = append(out, e)
	}
	return out
}

func health(status string) string {
	for _, h := range []string{"healthy", "unhealthy", "starting"} {
		if strings.Contains(status, "("+h+")") || strings.Contains(status, "(health: "+h+")") {
			return h
		}
	}
	return ""
}

func formatPorts(ports []convergence.ContainerPort) string {
	var out []string
	for _, p := range ports {
		if p.PublicPort == 0 {
			out = append(out, fmt.Sprintf("%d/%s", p.PrivatePort, p.Type))
			continue
		}
		ip := p.IP
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		out = append(out, fmt.Sprintf("%s:%d->%d/%s", ip, p.PublicPort, p.PrivatePort, p.Type))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func joinLabels(m map[string]string) string {
	keys := sortedKeys(m)
	for i, k := range keys {
		keys[i] = k + "=" + m[k]
	}
	return strings.Join(keys, ",")
}

func mountNames(ms []convergence.ContainerMount) string {
	var out []string
	for _, m := range ms {
		if m.Name != "" {
			out = append(out, m.Name)
		} else {
			out = append(out, m.Source)
		}
	}
	return strings.Join(out, ",")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
