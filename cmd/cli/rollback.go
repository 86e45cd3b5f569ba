package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	msw "github.com/mycompose/mycompose/convergence/swarm"
)

func newRollbackCommand(deps *Deps, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rollback SERVICE...",
		Short: "Roll Swarm services back to their previous spec (--swarm)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSwarmRollback(cmd.Context(), deps, g, args)
		},
	}
}

// runSwarmRollback asks the manager to roll each service back to its
// previous spec (docker service rollback) and waits until it has.
func runSwarmRollback(ctx context.Context, deps *Deps, g *globalOptions, args []string) error {
	if !g.Swarm {
		return usageError{errors.New("rollback works on Swarm services: add --swarm")}
	}
	name, _, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	return withSwarm(ctx, deps, g, func(sw msw.Engine) error {
		before, err := sw.ListServices(ctx, name)
		if err != nil {
			return err
		}
		ids := map[string]string{}
		for _, s := range before {
			ids[s.Name] = s.ID
		}
		var names []string
		for _, a := range args {
			full := name + "_" + a
			if ids[full] == "" {
				return fmt.Errorf("service %q is not deployed in stack %q", a, name)
			}
			names = append(names, full)
		}
		if g.DryRun {
			for _, n := range names {
				fmt.Fprintf(deps.Stdout, "rollback service %s\n", n)
			}
			return nil
		}
		for _, n := range names {
			if err := sw.RollbackService(ctx, ids[n]); err != nil {
				return fmt.Errorf("rollback %s: %w", n, err)
			}
		}
		return msw.WaitRolledBack(ctx, sw, name, names, before, swarmWaitTimeout, deps.Stderr)
	})
}
