package cli

import (
	"context"
	"fmt"
	"sync"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/watch"
	"github.com/mycompose/mycompose/project"
)

type watchOptions struct {
	NoUp  bool
	Prune bool
	Quiet bool
}

func newWatchCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch [SERVICE...]",
		Short: "Watch the services' develop.watch paths: sync, restart or rebuild when files change",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWatch(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.NoUp, "no-up", false, "do not build and start the services before watching")
	f.BoolVar(&o.Prune, "prune", true, "remove the image a rebuild replaced when it is left dangling")
	f.BoolVar(&o.Quiet, "quiet", false, "hide the build output of rebuilds")
	return cmd
}

// runWatch converges the services (unless --no-up), then watches until
// Ctrl-C, which ends the watch and leaves the containers running.
func runWatch(ctx context.Context, deps *Deps, g *globalOptions, o *watchOptions, args []string) error {
	p, err := g.load(ctx, deps)
	if err != nil {
		return err
	}
	scope, err := selectServices(p, args, false)
	if err != nil {
		return err
	}
	services, err := watchedServices(p, args)
	if err != nil {
		return err
	}
	if !o.NoUp {
		if err := g.connectAndRun(ctx, deps, convergence.Request{Op: convergence.OpUp, Project: p, Up: convergence.UpOptions{Services: scope}}); err != nil {
			return err
		}
	}
	if g.DryRun {
		return nil
	}
	if err := watchLoop(ctx, deps, g, p, services, o); err != nil {
		return err
	}
	return &ExitError{Code: 130}
}

// watchedServices checks that the named services (nil: all) can be
// watched, before anything starts.
func watchedServices(p *project.Project, args []string) ([]string, error) {
	var names []string
	for _, a := range args {
		if _, ok := p.Service(a); !ok {
			return nil, unknownService(p, a)
		}
		names = append(names, a)
	}
	services, err := watch.Services(p, names)
	if err != nil {
		return nil, err
	}
	return services, watch.Check(p, services)
}

// watchLoop runs the watch until ctx is done. A rebuild goes through the
// same build and converge steps as `up --build --no-deps SERVICE`.
func watchLoop(ctx context.Context, deps *Deps, g *globalOptions, p *project.Project, services []string, o *watchOptions) error {
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	rebuild := func(ctx context.Context, svc string) error {
		_, err := g.runPipeline(ctx, deps, eng, convergence.Request{Op: convergence.OpUp, Project: p,
			Up: convergence.UpOptions{Services: []string{svc}}, Build: convergence.BuildOptions{Force: true}, Quiet: o.Quiet}, nil)
		return err
	}
	return watch.Run(ctx, watch.Options{Project: p, Services: services, Engine: eng,
		Events: watchEvents(deps, g), Rebuild: rebuild, Prune: o.Prune})
}

// upWatching runs an attached up and, once it has converged, a watch of
// the services; Ctrl-C ends both (the up stops the containers as usual).
func upWatching(ctx context.Context, deps *Deps, g *globalOptions, p *project.Project, args []string,
	up func(converged func()) error) error {
	services, err := watchedServices(p, args)
	if err != nil {
		return err
	}
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	return up(func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := watchLoop(watchCtx, deps, g, p, services, &watchOptions{Prune: true}); err != nil {
				watchEvents(deps, g)(convergence.Event{Object: "Watch", Name: p.Name, Status: "Error", Detail: err.Error()})
			}
		}()
	})
}

// watchEvents renders watch events: JSON lines with --progress json,
// nothing but errors with quiet, else one plain line each, with its detail
// (a failed rebuild says why there, and watch goes on).
func watchEvents(deps *Deps, g *globalOptions) func(convergence.Event) {
	var mu sync.Mutex
	switch g.progressMode(deps) {
	case progressJSON:
		return newProgress(deps, progressJSON, false, viewSpec{}).event
	case progressQuiet:
		return func(e convergence.Event) {
			if e.Status == "Error" {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(deps.Stderr, " %s %s  %s (%s)\n", e.Object, e.Name, e.Status, e.Detail)
			}
		}
	}
	return func(e convergence.Event) {
		mu.Lock()
		defer mu.Unlock()
		line := fmt.Sprintf(" %s %s  %s", e.Object, e.Name, e.Status)
		if e.Detail != "" {
			line += " (" + e.Detail + ")"
		}
		fmt.Fprintln(deps.Stderr, line)
	}
}
