package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/loader"
	"github.com/mycompose/mycompose/project"
)

type configOptions struct {
	Format   string
	Output   string
	Services bool
	Volumes  bool
	Networks bool
	Images   bool
	Profiles bool
	Models   bool
	Hash     string
	// ResolveImageDigests pins images to digests; LockImageDigests prints
	// only the pinned images, as an override file.
	ResolveImageDigests, LockImageDigests bool
	Quiet                                 bool
	// Environment and Variables print interpolation's inputs.
	Environment bool
	Variables   bool
	// ShowSecrets prints environment values that come from env_files.
	ShowSecrets bool
	// The loading steps to skip (Docker Compose's --no-* flags).
	NoInterpolate, NoNormalize, NoPathResolution, NoConsistency, NoEnvResolution bool
}

func newConfigCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &configOptions{}
	cmd := &cobra.Command{
		Use:     "config [OPTIONS] [SERVICE...]",
		Aliases: []string{"convert"},
		Short:   "Parse, resolve and render the compose file in canonical form",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfig(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "yaml", "format the output: yaml or json")
	f.StringVarP(&o.Output, "output", "o", "", "save to a file instead of standard output")
	f.BoolVar(&o.Services, "services", false, "print the service names, one per line")
	f.BoolVar(&o.Volumes, "volumes", false, "print the names of the volumes services use, one per line")
	f.BoolVar(&o.Networks, "networks", false, "print the names of the networks services use, one per line")
	f.BoolVar(&o.Images, "images", false, "print the image names, one per line")
	f.BoolVar(&o.Profiles, "profiles", false, "print the profile names, one per line")
	f.BoolVar(&o.Models, "models", false, "print the model names, one per line")
	f.BoolVar(&o.ResolveImageDigests, "resolve-image-digests", false, "pin image tags to digests (asks the engine, which asks the registries)")
	f.BoolVar(&o.LockImageDigests, "lock-image-digests", false, "print an override file pinning every service's image to its digest")
	f.StringVar(&o.Hash, "hash", "", `print the config hash of the given services ("*" for all)`)
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only validate the configuration, print nothing")
	f.BoolVar(&o.Environment, "environment", false, "print the environment used for interpolation")
	f.BoolVar(&o.Variables, "variables", false, "print the variables the compose files use, with their defaults")
	f.BoolVar(&o.ShowSecrets, "show-secrets", false, "print environment values that come from env_files (redacted by default)")
	f.BoolVar(&o.NoInterpolate, "no-interpolate", false, "don't interpolate environment variables")
	f.BoolVar(&o.NoNormalize, "no-normalize", false, "don't normalize the compose model")
	f.BoolVar(&o.NoPathResolution, "no-path-resolution", false, "don't resolve file paths")
	f.BoolVar(&o.NoConsistency, "no-consistency", false, "don't check the model's consistency (the output may be invalid)")
	f.BoolVar(&o.NoEnvResolution, "no-env-resolution", false, "don't resolve the services' env_files")
	return cmd
}

func runConfig(ctx context.Context, deps *Deps, g *globalOptions, o *configOptions, services []string) error {
	if o.Format != "yaml" && o.Format != "json" {
		return usageError{fmt.Errorf("invalid --format %q: use yaml or json", o.Format)}
	}
	var out bytes.Buffer
	if err := renderConfig(ctx, deps, g, o, services, &out); err != nil || o.Quiet {
		return err
	}
	if o.Output == "" {
		_, err := deps.Stdout.Write(out.Bytes())
		return err
	}
	path := o.Output
	if !filepath.IsAbs(path) {
		path = filepath.Join(deps.WorkDir, path)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("config: write %q: %w", o.Output, err)
	}
	return nil
}

// renderConfig writes what config's flags ask for to w.
func renderConfig(ctx context.Context, deps *Deps, g *globalOptions, o *configOptions, services []string, w io.Writer) error {
	lo := g.loaderOptions(deps)
	lo.Services = services
	switch {
	case o.Environment:
		env, err := loader.Environment(lo)
		printLines(w, env, err == nil && !o.Quiet)
		return err
	case o.Variables:
		vars, err := loader.Variables(ctx, lo)
		if err == nil && !o.Quiet {
			printVariables(w, vars)
		}
		return err
	case o.Quiet || o.Services || o.Volumes || o.Networks || o.Images || o.Profiles || o.Models || o.Hash != "":
		p, err := loader.Load(ctx, lo)
		if err != nil || o.Quiet {
			return err
		}
		if o.Hash != "" {
			return printHashes(w, p, o.Hash)
		}
		printLines(w, configList(p, o, services, g.AllResources), true)
		return nil
	}
	if o.ResolveImageDigests || o.LockImageDigests {
		eng, err := g.connect(ctx, deps)
		if err != nil {
			return err
		}
		defer eng.Close()
		lo.ResolveImage = func(ref string) (string, error) { return eng.ResolveDigest(ctx, ref) }
		lo.ImagesOnly = o.LockImageDigests
	}
	lo.ShowSecrets = o.ShowSecrets
	lo.NoInterpolate, lo.NoNormalize, lo.NoPathResolution = o.NoInterpolate, o.NoNormalize, o.NoPathResolution
	lo.NoConsistency, lo.NoEnvResolution = o.NoConsistency, o.NoEnvResolution
	out, err := loader.Render(ctx, lo, o.Format)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// configList returns the names --services, --volumes, --networks,
// --images, --profiles or --models ask for, of the named services (all
// when none); with --all-resources, every network and volume.
func configList(p *project.Project, o *configOptions, services []string, all bool) []string {
	selected := p.ServiceNames()
	if len(services) > 0 {
		selected = p.WithDependencies(services)
	}
	var out []string
	switch {
	case o.Services:
		return selected
	case o.Profiles:
		return p.Profiles
	case o.Models:
		for _, m := range p.Models {
			out = append(out, m.Name)
		}
		return out
	case o.Images:
		for _, n := range selected {
			s, _ := p.Service(n)
			out = append(out, s.Container.Image)
		}
		return out
	}
	used := map[string]bool{}
	for _, n := range selected {
		s, _ := p.Service(n)
		if o.Networks {
			for _, a := range s.Networks {
				used[a.Key] = true
			}
			continue
		}
		for _, m := range s.Container.Mounts {
			if m.Type == project.MountVolume && m.Source != "" {
				used[m.Source] = true
			}
		}
	}
	if o.Networks {
		for _, n := range p.Networks {
			if used[n.Key] || all {
				out = append(out, n.Key)
			}
		}
		return out
	}
	for _, v := range p.Volumes {
		if used[v.Name] || all {
			out = append(out, v.Key)
		}
	}
	sort.Strings(out)
	return out
}

func printLines(w io.Writer, lines []string, print bool) {
	if !print {
		return
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// printVariables prints Docker Compose's table of interpolated variables.
func printVariables(w io.Writer, vars []loader.Variable) {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREQUIRED\tDEFAULT VALUE\tALTERNATE VALUE")
	for _, v := range vars {
		fmt.Fprintf(tw, "%s\t%t\t%s\t%s\n", v.Name, v.Required, v.Default, v.Alternate)
	}
	tw.Flush()
}

// printHashes prints "service hash" lines for the named services ("*": all).
func printHashes(w io.Writer, p *project.Project, spec string) error {
	names := p.ServiceNames()
	if spec != "*" {
		names = strings.Split(spec, ",")
	}
	for _, n := range names {
		s, ok := p.Service(n)
		if !ok {
			return unknownService(p, n)
		}
		fmt.Fprintf(w, "%s %s\n", s.Name, s.ConfigHash)
	}
	return nil
}
