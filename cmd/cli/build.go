package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// buildFlags carries up's --build and --no-build into converge.
type buildFlags struct {
	Force bool
	Never bool
}

type buildOptions struct {
	NoCache bool
	Pull    bool
	Quiet   bool
}

func newBuildCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] [SERVICE...]",
		Short: "Build or rebuild the services' images",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.NoCache, "no-cache", false, "do not use the build cache")
	f.BoolVar(&o.Pull, "pull", false, "always try to pull a newer version of the base images")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

func runBuild(ctx context.Context, deps *Deps, g *globalOptions, o *buildOptions, args []string) error {
	p, err := g.load(ctx, deps)
	if err != nil {
		return err
	}
	for _, a := range args {
		if _, ok := p.Service(a); !ok {
			return unknownService(p, a)
		}
	}
	var services []string
	if len(args) > 0 {
		services = args
	}
	for i := range p.Services {
		if b := p.Services[i].Build; b != nil {
			b.NoCache = b.NoCache || o.NoCache
			b.Pull = b.Pull || o.Pull
		}
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	_, err = buildImages(ctx, deps, g, eng, p, convergence.BuildOptions{Services: services, Force: true}, o.Quiet)
	return err
}

// buildImages builds the images PlanBuilds selects, one after the other
// (builds are CPU-bound and the engine runs each step's container), and
// returns the references built (or, in a dry run, to be built).
func buildImages(ctx context.Context, deps *Deps, g *globalOptions, eng Engine, p *project.Project, opts convergence.BuildOptions, quiet bool) ([]string, error) {
	var refs []string
	for _, s := range p.Services {
		if s.Build != nil {
			refs = append(refs, s.Container.Image)
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	present, err := eng.ImageIDs(ctx, refs)
	if err != nil {
		return nil, err
	}
	names := convergence.PlanBuilds(p, present, opts)
	var events func(convergence.Event)
	if !quiet {
		spec := viewSpec{action: "Building"}
		for _, name := range names {
			svc, _ := p.Service(name)
			spec.expect = append(spec.expect, objectKey{"Image", svc.Container.Image})
		}
		ui := g.progressView(deps, spec)
		defer ui.done()
		events = ui.event
	}
	emit := func(e convergence.Event) {
		if events != nil {
			events(e)
		}
	}
	var built []string
	for _, name := range names {
		svc, _ := p.Service(name)
		ref := svc.Container.Image
		if g.DryRun {
			fmt.Fprintf(deps.Stdout, "build image %s (service %s)\n", ref, name)
			built = append(built, ref)
			continue
		}
		if err := ctx.Err(); err != nil {
			return built, err
		}
		req, closer, err := convergence.BuildRequestFor(svc)
		if err != nil {
			return built, err
		}
		emit(convergence.Event{Object: "Image", Name: ref, Status: "Building"})
		start := time.Now()
		_, err = eng.BuildImage(ctx, req, nil)
		closer.Close()
		if err != nil {
			emit(convergence.Event{Object: "Image", Name: ref, Status: "Error"})
			return built, fmt.Errorf("service %q: %w", name, err)
		}
		emit(convergence.Event{Object: "Image", Name: ref, Status: "Built", Detail: time.Since(start).Round(time.Millisecond).String()})
		built = append(built, ref)
	}
	return built, nil
}
