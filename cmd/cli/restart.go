package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type restartOptions struct {
	Timeout    int
	NoDeps     bool
	timeoutSet bool
}

func newRestartCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &restartOptions{}
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] [SERVICE...]",
		Short: "Restart service containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return runRestart(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.Timeout, "timeout", "t", 0, "shutdown timeout in seconds (default: each service's stop_grace_period)")
	f.BoolVar(&o.NoDeps, "no-deps", false, "don't restart dependent services")
	return cmd
}

// runRestart restarts the containers of the services, plus (unless
// --no-deps) the services declaring `restart: true` on their depends_on
// entry for one of them, dependencies first. One-offs are left alone.
func runRestart(ctx context.Context, deps *Deps, g *globalOptions, o *restartOptions, args []string) error {
	return g.runOnTarget(ctx, deps, args, convergence.Request{Op: convergence.OpRestart, Services: args,
		NoDeps: o.NoDeps, Timeout: timeoutOption(o.timeoutSet, o.Timeout)})
}
