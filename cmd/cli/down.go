package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
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
		Use:   "down [OPTIONS] [SERVICE...]",
		Short: "Stop and remove containers and networks (and, with -v, volumes); of the named services only, when given",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return runDown(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Volumes, "volumes", "v", false, "remove named volumes declared in the volumes section and anonymous volumes attached to containers")
	f.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "remove containers for services not defined in the compose file")
	f.IntVarP(&o.Timeout, "timeout", "t", 0, "shutdown timeout in seconds")
	f.StringVar(&o.Rmi, "rmi", "", `remove images used by services: "local" removes only images built for the project (no custom tag), "all" removes every image`)
	return cmd
}

func runDown(ctx context.Context, deps *Deps, g *globalOptions, o *downOptions, services []string) error {
	if g.Swarm {
		return runSwarmDown(ctx, deps, g)
	}
	if o.Rmi != "" && o.Rmi != "local" && o.Rmi != "all" {
		return usageError{fmt.Errorf("invalid --rmi value %q: use \"local\" or \"all\"", o.Rmi)}
	}
	defer g.preconnect(ctx, deps)()
	name, p, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	opts := convergence.DownOptions{
		RemoveOrphans: o.RemoveOrphans || envBool(deps.Environ, "COMPOSE_REMOVE_ORPHANS"),
		RemoveVolumes: o.Volumes,
		Timeout:       timeoutOption(o.timeoutSet, o.Timeout),
		Only:          services,
	}
	if p != nil {
		for _, s := range services {
			if _, ok := p.Service(s); !ok {
				return unknownService(p, s)
			}
		}
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
	return g.connectAndRun(ctx, deps, convergence.Request{Op: convergence.OpDown, Project: p, Name: name, Down: opts, RemoveImages: o.Rmi})
}
