package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

type exportOptions struct {
	Index  int
	Output string
}

func newExportCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] SERVICE",
		Short: "Export a service container's filesystem as a tar archive",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd.Context(), deps, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Index, "index", 0, "index of the container if the service has several replicas")
	f.StringVarP(&o.Output, "output", "o", "", "write to a file instead of standard output")
	return cmd
}

func runExport(ctx context.Context, deps *Deps, g *globalOptions, o *exportOptions, service string) error {
	if o.Output == "" && isTerminal(deps.Stdout) {
		return usageError{fmt.Errorf("refusing to write a tar archive to a terminal: use -o FILE or redirect the output")}
	}
	t, c, err := g.replica(ctx, deps, service, o.Index)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	if g.DryRun {
		fmt.Fprintf(deps.Stderr, "DRY-RUN MODE: would export container %s\n", c.Name)
		return nil
	}
	rc, err := t.eng.ExportContainer(ctx, c.ID)
	if err != nil {
		return err
	}
	defer rc.Close()
	if o.Output == "" {
		_, err = io.Copy(deps.Stdout, rc)
		return err
	}
	// Write next to the target and rename, so a failed export never leaves
	// a truncated archive under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(o.Output), ".export-*")
	if err != nil {
		return fmt.Errorf("export %s: %w", c.Name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, rc); err != nil {
		tmp.Close()
		return fmt.Errorf("export %s: %w", c.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export %s: %w", c.Name, err)
	}
	if err := os.Rename(tmp.Name(), o.Output); err != nil {
		return fmt.Errorf("export %s: %w", c.Name, err)
	}
	return nil
}
