package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type startOptions struct {
	Wait        bool
	WaitTimeout int
}

func newStartCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &startOptions{}
	cmd := &cobra.Command{
		Use:   "start [SERVICE...]",
		Short: "Start services",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStart(cmd.Context(), deps, g, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.Wait, "wait", false, "wait for services to be running and healthy (or completed, for one-shot services)")
	cmd.Flags().IntVar(&o.WaitTimeout, "wait-timeout", 0, "maximum seconds to wait with --wait (0: no limit)")
	return cmd
}

// runStart starts the existing containers of the services and of what they
// depend on, dependencies first. One-off containers are left alone.
func runStart(ctx context.Context, deps *Deps, g *globalOptions, o *startOptions, args []string) error {
	t, cs, release, err := g.lockedContainers(ctx, deps, args)
	if err != nil {
		return err
	}
	defer release()
	if len(selectContainers(cs, nil, 0, false)) == 0 {
		return errors.New("no containers to start: create them with `mycompose up` or `mycompose create` first")
	}
	for _, s := range args {
		if len(selectContainers(cs, []string{s}, 0, false)) == 0 {
			return fmt.Errorf("service %q has no container to start: create it with `mycompose up -d %s` first", s, s)
		}
	}
	graph := t.dependencies(cs)
	var services []string
	if len(args) > 0 {
		services = graph.WithDependencies(args)
	}
	if err := apply(ctx, deps, g, t.eng, convergence.PlanStart(cs, graph, services)); err != nil || !o.Wait || g.DryRun {
		return err
	}
	release()
	return waitReady(ctx, deps, g, t.name, services, o.WaitTimeout)
}
