package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newTopCommand(deps *Deps, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "top [SERVICE...]",
		Short: "Display the running processes",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTop(cmd.Context(), deps, g, args)
		},
	}
}

// runTop prints, for each running container, its name and process table.
func runTop(ctx context.Context, deps *Deps, g *globalOptions, args []string) error {
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	cs, err := t.containers(ctx)
	if err != nil {
		return err
	}
	for i, c := range inStates(selectContainers(cs, args, 0, true), "running", "paused") {
		procs, err := t.eng.TopContainer(ctx, c.ID, nil)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(deps.Stdout)
		}
		fmt.Fprintln(deps.Stdout, displayName(c.Name, c.Replica))
		tw := tabwriter.NewWriter(deps.Stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, strings.Join(procs.Titles, "\t"))
		for _, row := range procs.Rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		tw.Flush()
	}
	return nil
}
