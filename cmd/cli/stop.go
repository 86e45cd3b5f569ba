package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type stopOptions struct {
	Timeout    int
	timeoutSet bool
}

func newStopCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &stopOptions{}
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] [SERVICE...]",
		Short: "Stop services",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return runStop(cmd.Context(), deps, g, o, args)
		},
	}
	cmd.Flags().IntVarP(&o.Timeout, "timeout", "t", 0, "shutdown timeout in seconds (default: each service's stop_grace_period)")
	return cmd
}

// runStop stops the running containers of the services (not those that
// depend on them), dependents first. One-off containers are left alone.
func runStop(ctx context.Context, deps *Deps, g *globalOptions, o *stopOptions, args []string) error {
	return g.runOnTarget(ctx, deps, args, convergence.Request{Op: convergence.OpStop, Services: args,
		Timeout: timeoutOption(o.timeoutSet, o.Timeout)})
}
