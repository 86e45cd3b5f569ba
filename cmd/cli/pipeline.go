package cli

import (
	"context"
	"fmt"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/modelrunner"
	"github.com/mycompose/mycompose/convergence/provider"
	"github.com/mycompose/mycompose/project"
)

// Every command that changes a project fills a convergence.Request from its
// flags and hands it to runPipeline; what remains here is the command line's
// own: prompts, progress output and the dry-run listing.

// pipelineRun is one request's pipeline on an open engine.
type pipelineRun struct {
	*convergence.Pipeline
	log *pullLog
}

// newPipeline wires the pipeline's hooks to this process: progress on
// stderr as --progress says, warnings, the volume prompt, the project lock
// and the pull log. skip, when set, leaves the events of the containers it
// names out of the progress output (run's one-off, which is attached).
func (g *globalOptions) newPipeline(deps *Deps, eng Engine, skip func(convergence.Event) bool) *pipelineRun {
	log := openPullLog(deps, eng.Endpoint())
	pl := &convergence.Pipeline{Engine: eng, Parallel: parallelLimit(deps), PullLog: log,
		Providers: &provider.Runner{Environ: deps.Environ}, Models: &modelrunner.Runner{Environ: deps.Environ}}
	pl.Progress = func(s convergence.StageStart) convergence.StageOutput {
		var spec viewSpec
		switch s.Stage {
		case convergence.StageBuild:
			spec.action = "Building"
			for _, b := range s.Builds {
				spec.expect = append(spec.expect, objectKey{convergence.ObjectImage, b.Ref})
			}
		case convergence.StagePull:
			spec = pullView(s.Pulls)
		case convergence.StageApply:
			spec = planView(shownPlan(s.Plan, skip != nil))
		}
		ui := g.progressView(deps, spec)
		out := convergence.StageOutput{Events: ui.event, Pull: ui.pull, Done: ui.done}
		if skip != nil {
			out.Events = func(e convergence.Event) {
				if !skip(e) {
					ui.event(e)
				}
			}
		}
		return out
	}
	// Builds run here, beside their rendering: parallel BuildKit builds
	// with their steps as child lines (build.go).
	pl.Build = func(ctx context.Context, p *project.Project, opts convergence.BuildOptions, _, quiet bool) ([]convergence.Built, error) {
		return buildImages(ctx, deps, g, eng, p, opts, quiet)
	}
	pl.Warn = func(msg string) { fmt.Fprintf(deps.Stderr, "WARN[0000] %s\n", msg) }
	pl.Note = func(msg string) { fmt.Fprintln(deps.Stderr, msg) }
	pl.Confirm = func(volumes []string) error { return confirmVolumeChanges(deps, volumes) }
	pl.Lock = func(ctx context.Context, name string) (func(), error) {
		l, err := lockProject(ctx, eng.Endpoint(), name, deps.Stderr)
		if err != nil {
			return nil, err
		}
		return l.unlock, nil
	}
	return &pipelineRun{Pipeline: pl, log: log}
}

// shownPlan is the plan as the progress view lists it: without run's
// one-off, whose output is its attached stdio, when oneOffHidden.
func shownPlan(plan *convergence.Plan, oneOffHidden bool) *convergence.Plan {
	if !oneOffHidden {
		return plan
	}
	shown := *plan
	shown.Actions = nil
	for _, a := range plan.Actions {
		if !a.OneOff {
			shown.Actions = append(shown.Actions, a)
		}
	}
	return &shown
}

// runPipeline runs a request on an open engine, then lists what a dry run
// would do.
func (g *globalOptions) runPipeline(ctx context.Context, deps *Deps, eng Engine, req convergence.Request, skip func(convergence.Event) bool) (*convergence.Result, error) {
	req.DryRun = g.DryRun
	if req.Project != nil && (req.Op == convergence.OpUp || req.Op == convergence.OpRun) {
		warnSocketMounts(deps.Stderr, req.Project, eng.Endpoint())
	}
	pl := g.newPipeline(deps, eng, skip)
	res, err := pl.Run(ctx, req)
	pl.log.save(deps)
	if err == nil && g.DryRun {
		printDryRun(deps, res)
	}
	return res, err
}

// connectAndRun connects, runs a request and closes the engine.
func (g *globalOptions) connectAndRun(ctx context.Context, deps *Deps, req convergence.Request) error {
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	_, err = g.runPipeline(ctx, deps, eng, req, nil)
	return err
}

// runOnTarget runs a request on the project the command names (from the
// compose file, or -p alone), after checking that the named services exist
// when the file is known.
func (g *globalOptions) runOnTarget(ctx context.Context, deps *Deps, services []string, req convergence.Request) error {
	t, err := g.openTarget(ctx, deps, services)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	if len(services) == 0 {
		req.Services = nil
	}
	req.Project, req.Name = t.p, t.name
	_, err = g.runPipeline(ctx, deps, t.eng, req, nil)
	return err
}

// printDryRun lists what a dry run would do: pulls, then the plan (the
// builder lists its builds itself, first).
func printDryRun(deps *Deps, res *convergence.Result) {
	for _, p := range res.Pulls {
		fmt.Fprintln(deps.Stdout, p.String())
	}
	if res.Plan == nil {
		return
	}
	for _, v := range res.Plan.VolumeChanges {
		fmt.Fprintf(deps.Stderr, "WARN[0000] volume %q exists with a different configuration: up would ask before recreating it (its data would be lost)\n", v)
	}
	fmt.Fprintln(deps.Stderr, "DRY-RUN MODE: nothing is changed")
	for _, a := range res.Plan.Actions {
		fmt.Fprintln(deps.Stdout, a.String())
	}
	for _, n := range res.Plan.Notes {
		fmt.Fprintf(deps.Stdout, "note: %s\n", n)
	}
}
