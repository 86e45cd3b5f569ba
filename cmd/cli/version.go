package cli

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/project"
)

type versionOptions struct {
	Short  bool
	Format string
}

func newVersionCommand(deps *Deps) *cobra.Command {
	o := &versionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the mycompose version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.Short:
				fmt.Fprintln(deps.Stdout, project.Version)
			case o.Format == "json":
				return json.NewEncoder(deps.Stdout).Encode(map[string]string{"version": project.Version, "go": runtime.Version()})
			case o.Format == "" || o.Format == "pretty":
				fmt.Fprintf(deps.Stdout, "mycompose version %s\n", project.Version)
			default:
				return usageError{fmt.Errorf("invalid --format %q: use pretty or json", o.Format)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Short, "short", false, "show only the version number")
	cmd.Flags().StringVar(&o.Format, "format", "", "format the output: pretty or json")
	return cmd
}
