package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

func newPauseCommand(deps *Deps, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "pause [SERVICE...]",
		Short: "Pause services",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPause(cmd.Context(), deps, g, args, true)
		},
	}
}

// runPause freezes the running containers of the services (pause), or
// thaws their paused ones (unpause).
func runPause(ctx context.Context, deps *Deps, g *globalOptions, args []string, pause bool) error {
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	cs, err := t.containers(ctx)
	if err != nil {
		return err
	}
	state, verb, doing, done := "running", "pause", "Pausing", "Paused"
	op := t.eng.PauseContainer
	if !pause {
		state, verb, doing, done = "paused", "unpause", "Unpausing", "Unpaused"
		op = t.eng.UnpauseContainer
	}
	targets := inStates(selectContainers(cs, args, 0, false), state)
	if g.DryRun {
		for _, c := range targets {
			fmt.Fprintf(deps.Stdout, "%s container %s\n", verb, c.Name)
		}
		return nil
	}
	return eachContainer(ctx, deps, targets, doing, done, func(ctx context.Context, c convergence.Container) error {
		return op(ctx, c.ID)
	})
}
