package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type commitOptions struct {
	Index   int
	Author  string
	Message string
	Changes []string
	Pause   bool
}

func newCommitCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &commitOptions{}
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] SERVICE [REPOSITORY[:TAG]]",
		Short: "Create a new image from a service container's changes",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 2 {
				ref = args[1]
			}
			return runCommit(cmd.Context(), deps, g, o, args[0], ref)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Index, "index", 0, "index of the container if the service has several replicas")
	f.StringVarP(&o.Author, "author", "a", "", `author (e.g. "John Hannibal Smith <hannibal@a-team.com>")`)
	f.StringVarP(&o.Message, "message", "m", "", "commit message")
	f.StringArrayVarP(&o.Changes, "change", "c", nil, "apply a Dockerfile instruction to the created image (repeatable)")
	f.BoolVar(&o.Pause, "pause", true, "pause the container during commit")
	return cmd
}

func runCommit(ctx context.Context, deps *Deps, g *globalOptions, o *commitOptions, service, ref string) error {
	t, c, err := g.replica(ctx, deps, service, o.Index)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	if g.DryRun {
		fmt.Fprintf(deps.Stderr, "DRY-RUN MODE: would commit container %s\n", c.Name)
		return nil
	}
	id, err := t.eng.CommitContainer(ctx, c.ID, convergence.CommitOptions{
		Reference: ref, Comment: o.Message, Author: o.Author, Changes: o.Changes, Pause: o.Pause,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(deps.Stdout, id)
	return nil
}
