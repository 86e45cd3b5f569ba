package cli

import (
	"context"
	"time"

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
	return g.runOnTarget(ctx, deps, args, convergence.Request{Op: convergence.OpStart, Services: args,
		Wait: o.Wait, WaitTimeout: time.Duration(o.WaitTimeout) * time.Second})
}
