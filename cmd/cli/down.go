package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

type downOptions struct {
	Volumes       bool
	RemoveOrphans bool
	Timeout       int
	Rmi           string
	timeoutSet    bool
}

func newDownCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &downOptions{}
	cmd := &cobra.Command{
		Use:   "down [OPTIONS]",
		Short: "Stop and remove containers and networks (and, with -v, volumes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return runDown(cmd.Context(), deps, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Volumes, "volumes", "v", false, "remove named volumes declared in the volumes section and anonymous volumes attached to containers")
	f.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "remove containers for services not defined in the compose file")
	f.IntVarP(&o.Timeout, "timeout", "t", 0, "shutdown timeout in seconds")
	f.StringVar(&o.Rmi, "rmi", "", `remove images used by services: "local" removes only images built for the project (no custom tag), "all" removes every image`)
	return cmd
}

func runDown(ctx context.Context, deps *Deps, g *globalOptions, o *downOptions) error {
	if g.Swarm {
		return runSwarmDown(ctx, deps, g)
	}
	if o.Rmi != "" && o.Rmi != "local" && o.Rmi != "all" {
		return usageError{fmt.Errorf("invalid --rmi value %q: use \"local\" or \"all\"", o.Rmi)}
	}
	name, p, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	if !g.DryRun {
		lock, err := lockProject(ctx, eng.Endpoint(), name, deps.Stderr)
		if err != nil {
			return err
		}
		defer lock.unlock()
	}
	obs, err := convergence.ObserveProject(ctx, eng, name)
	if err != nil {
		return err
	}
	opts := convergence.DownOptions{
		RemoveOrphans: o.RemoveOrphans || envBool(deps.Environ, "COMPOSE_REMOVE_ORPHANS"),
		RemoveVolumes: o.Volumes,
		Timeout:       timeoutOption(o.timeoutSet, o.Timeout),
	}
	if p != nil {
		opts.Services = append(p.ServiceNames(), p.DisabledServices...)
		for _, n := range p.Networks {
			if !n.External {
				opts.Networks = append(opts.Networks, n.Name)
			}
		}
		if opts.Networks == nil {
			opts.Networks = []string{}
		}
	}
	plan := convergence.PlanDown(obs, opts)
	images := imagesToRemove(obs, p, name, o.Rmi)
	if err := apply(ctx, deps, g, eng, plan); err != nil {
		return err
	}
	if g.DryRun {
		for _, img := range images {
			fmt.Fprintln(deps.Stdout, "remove image "+img)
		}
		return nil
	}
	return removeImages(ctx, deps, eng, images)
}

// imagesToRemove lists the images down --rmi removes: with "all" every
// image the project's containers use; with "local" only images built for the
// project under the default "<project>-<service>" name.
func imagesToRemove(obs convergence.Observed, p *project.Project, name, mode string) []string {
	if mode == "" {
		return nil
	}
	seen := map[string]bool{}
	add := func(ref string) {
		if ref == "" {
			return
		}
		if mode == "local" && !isDefaultBuildName(ref, name) {
			return
		}
		seen[ref] = true
	}
	for _, c := range obs.Containers {
		add(c.Image)
	}
	if p != nil {
		for _, s := range p.Services {
			add(s.Container.Image)
		}
	}
	out := make([]string, 0, len(seen))
	for ref := range seen {
		out = append(out, ref)
	}
	sort.Strings(out)
	return out
}

func isDefaultBuildName(ref, projectName string) bool {
	return len(ref) > len(projectName)+1 && ref[:len(projectName)+1] == projectName+"-"
}

func removeImages(ctx context.Context, deps *Deps, eng Engine, images []string) error {
	for _, img := range images {
		fmt.Fprintf(deps.Stderr, " Image %s  Removing\n", img)
		if err := eng.RemoveImage(ctx, img); err != nil && !convergence.IsNotFound(err) {
			return fmt.Errorf("remove image %q: %w", img, err)
		}
		fmt.Fprintf(deps.Stderr, " Image %s  Removed\n", img)
	}
	return nil
}
