package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/loader"
	"github.com/mycompose/mycompose/project"
)

type configOptions struct {
	Format   string
	Services bool
	Volumes  bool
	Hash     string
	Quiet    bool
	// ShowSecrets prints environment values that come from env_files.
	ShowSecrets bool
}

func newConfigCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &configOptions{}
	cmd := &cobra.Command{
		Use:     "config [OPTIONS]",
		Aliases: []string{"convert"},
		Short:   "Parse, resolve and render the compose file in canonical form",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfig(cmd.Context(), deps, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "yaml", "format the output: yaml or json")
	f.BoolVar(&o.Services, "services", false, "print the service names, one per line")
	f.BoolVar(&o.Volumes, "volumes", false, "print the volume names, one per line")
	f.StringVar(&o.Hash, "hash", "", `print the config hash of the given services ("*" for all)`)
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only validate the configuration, print nothing")
	f.BoolVar(&o.ShowSecrets, "show-secrets", false, "print environment values that come from env_files (redacted by default)")
	return cmd
}

func runConfig(ctx context.Context, deps *Deps, g *globalOptions, o *configOptions) error {
	if o.Format != "yaml" && o.Format != "json" {
		return usageError{fmt.Errorf("invalid --format %q: use yaml or json", o.Format)}
	}
	if o.Quiet || o.Services || o.Volumes || o.Hash != "" {
		p, err := g.load(ctx, deps)
		if err != nil || o.Quiet {
			return err
		}
		switch {
		case o.Services:
			for _, s := range p.ServiceNames() {
				fmt.Fprintln(deps.Stdout, s)
			}
		case o.Volumes:
			for _, v := range p.Volumes {
				fmt.Fprintln(deps.Stdout, v.Key)
			}
		default:
			return printHashes(deps, p, o.Hash)
		}
		return nil
	}
	lo := g.loaderOptions(deps)
	lo.ShowSecrets = o.ShowSecrets
	out, err := loader.Render(ctx, lo, o.Format)
	if err != nil {
		return err
	}
	_, err = deps.Stdout.Write(out)
	return err
}

// printHashes prints "service hash" lines for the named services ("*": all).
func printHashes(deps *Deps, p *project.Project, spec string) error {
	names := p.ServiceNames()
	if spec != "*" {
		names = strings.Split(spec, ",")
	}
	for _, n := range names {
		s, ok := p.Service(n)
		if !ok {
			return unknownService(p, n)
		}
		fmt.Fprintf(deps.Stdout, "%s %s\n", s.Name, s.ConfigHash)
	}
	return nil
}
