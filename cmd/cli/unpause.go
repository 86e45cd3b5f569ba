package cli

import "github.com/spf13/cobra"

func newUnpauseCommand(deps *Deps, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause [SERVICE...]",
		Short: "Unpause services",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPause(cmd.Context(), deps, g, args, false)
		},
	}
}
