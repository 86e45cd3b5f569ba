package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type killOptions struct {
	Signal string
}

func newKillCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &killOptions{}
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] [SERVICE...]",
		Short: "Force stop service containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKill(cmd.Context(), deps, g, o, args)
		},
	}
	cmd.Flags().StringVarP(&o.Signal, "signal", "s", "SIGKILL", "signal to send to the containers")
	return cmd
}

// runKill signals the running containers of the services, all at once: a
// kill is an emergency stop, so there is no dependency order.
func runKill(ctx context.Context, deps *Deps, g *globalOptions, o *killOptions, args []string) error {
	if strings.TrimSpace(o.Signal) == "" {
		return usageError{fmt.Errorf("invalid --signal %q: name a signal such as SIGKILL, HUP or 9", o.Signal)}
	}
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	cs, err := t.containers(ctx)
	if err != nil {
		return err
	}
	running := inStates(selectContainers(cs, args, 0, false), "running", "restarting", "paused")
	if len(running) == 0 {
		fmt.Fprintln(deps.Stderr, "no container to kill")
		return nil
	}
	if g.DryRun {
		for _, c := range running {
			fmt.Fprintf(deps.Stdout, "kill container %s (%s)\n", c.Name, o.Signal)
		}
		return nil
	}
	return eachContainer(ctx, deps, running, "Killing", "Killed", func(ctx context.Context, c convergence.Container) error {
		return t.eng.KillContainer(ctx, c.ID, o.Signal)
	})
}
