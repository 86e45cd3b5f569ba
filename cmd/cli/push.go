package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type pushOptions struct {
	Quiet          bool
	IgnoreFailures bool
	IncludeDeps    bool
}

func newPushCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &pushOptions{}
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] [SERVICE...]",
		Short: "Push service images",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPush(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "push without printing progress information")
	f.BoolVar(&o.IgnoreFailures, "ignore-push-failures", false, "push what it can and ignore images with push failures")
	f.BoolVar(&o.IncludeDeps, "include-deps", false, "also push images of services declared as dependencies")
	return cmd
}

// runPush pushes the image of each service (all by default), each image
// once, to the registry its `image:` names, with the user's Docker
// credentials. Docker Compose pushes only services with a build section;
// mycompose does not build, so it pushes what `image:` names, which must be
// present locally (docker tag it first).
func runPush(ctx context.Context, deps *Deps, g *globalOptions, o *pushOptions, args []string) error {
	p, err := g.load(ctx, deps)
	if err != nil {
		return err
	}
	services, err := selectServices(p, args, !o.IncludeDeps)
	if err != nil {
		return err
	}
	refs := serviceImages(p, services)
	if g.DryRun {
		fmt.Fprintln(deps.Stderr, "DRY-RUN MODE: nothing is changed")
		for _, r := range refs {
			fmt.Fprintf(deps.Stdout, "push image %s\n", r)
		}
		return nil
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	return pushImages(ctx, deps, g, eng, refs, o)
}

// pushImages pushes refs through eng, with progress unless quiet.
func pushImages(ctx context.Context, deps *Deps, g *globalOptions, eng Engine, refs []string, o *pushOptions) error {
	pu := &convergence.Puller{Store: eng, Parallel: parallelLimit(deps), IgnoreFailures: o.IgnoreFailures}
	if !o.Quiet {
		spec := viewSpec{action: "Pushing"}
		for _, r := range refs {
			spec.expect = append(spec.expect, objectKey{"Image", r})
		}
		ui := g.progressView(deps, spec)
		defer ui.done()
		pu.Events, pu.Progress = ui.event, ui.pull
	}
	return pu.Push(ctx, refs)
}
