package convergence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mycompose/mycompose/project"
)

// Operation is what a Request asks of a project.
type Operation int

// Operations. Each is one path through the same pipeline: observe,
// build and pull (up and run), plan, execute, wait.
const (
	// OpUp converges services to the project: up, create (NoStart) and scale.
	OpUp Operation = iota
	// OpRun converges what a one-off container needs (its dependencies,
	// networks and volumes) and creates it: a one-off is desired state too,
	// so it gets its service's secrets, configs and platform like a replica.
	OpRun
	// OpStart starts the existing stopped containers of services.
	OpStart
	// OpRestart restarts the containers of services.
	OpRestart
	// OpStop stops the running containers of services, dependents first.
	OpStop
	// OpDown removes the project's containers and networks (volumes and
	// images on request).
	OpDown
)

// Request is one command's ask of a project: the command fills it from its
// flags, and Pipeline.Run does the rest.
type Request struct {
	Op Operation
	// Project is the loaded compose file; nil when a command works from the
	// engine's labels alone (start, restart and down without a file).
	Project *project.Project
	// Name is the project name (Project.Name when Project is set).
	Name string
	// Up tunes the plan of OpUp, and of OpRun's dependencies.
	Up UpOptions
	// PullPolicy overrides every service's pull_policy when set (up --pull).
	PullPolicy string
	// Build tunes the build step (up --build, --no-build).
	Build BuildOptions
	// Quiet leaves the pull and build steps out of the progress output
	// (up --quiet-pull).
	Quiet bool
	// Services are the services OpStart and OpRestart act on (nil: all);
	// OpStart adds what they depend on, OpRestart (unless NoDeps) the
	// services that declare `restart: true` on them.
	Services []string
	NoDeps   bool
	// Timeout is the stop timeout of OpRestart and OpStop; nil: each
	// container's own.
	Timeout *time.Duration
	// Down tunes OpDown; RemoveImages is down --rmi: "", "local" or "all".
	Down         DownOptions
	RemoveImages string
	// OneOff is the one-off container of OpRun.
	OneOff *OneOff
	// Wait waits after the execution until the services in scope are
	// running and healthy, or completed; WaitTimeout bounds it (0: none).
	Wait        bool
	WaitTimeout time.Duration
	// DryRun plans without changing anything: Run returns the result with
	// the plan and runs nothing.
	DryRun bool
}

// OneOff is the container of `run`.
type OneOff struct {
	// Service is the service it runs.
	Service string
	// Create is the container: the service's, with the command line's
	// overrides and the one-off labels (see OneOffSpec).
	Create CreateSpec
	// Deps converges the services it depends on first (not run --no-deps),
	// and waits for their depends_on conditions.
	Deps bool
	// UseAliases gives it the service's aliases on its networks.
	UseAliases bool
	// Start starts it (run -d); else it is left created, for the caller to
	// attach to before it starts.
	Start bool
}

// Stage names a step of the pipeline whose events a UI shows.
type Stage string

// Stages.
const (
	StageBuild Stage = "build"
	StagePull  Stage = "pull"
	StageApply Stage = "apply"
)

// StageStart says what a stage is about to do, so that a UI can lay out
// its lines ahead.
type StageStart struct {
	Stage Stage
	// Builds are the images StageBuild builds.
	Builds []Built
	// Pulls are the images StagePull pulls.
	Pulls []ImagePull
	// Plan is what StageApply executes.
	Plan *Plan
}

// StageOutput is where a stage's progress goes; nil fields drop it.
type StageOutput struct {
	Events func(Event)
	// Pull receives the engine's per-layer progress of pulls.
	Pull func(PullEvent)
	// Done closes the stage's output.
	Done func()
}

// Hooks are what the pipeline needs from the command that runs it: where
// events go, how to ask the user, how to lock. Every field is optional.
type Hooks struct {
	// Progress opens the progress output of a stage, told what the stage
	// will do; nil: quiet.
	Progress func(StageStart) StageOutput
	// Warn receives the plan's warnings, before anything is executed.
	Warn func(msg string)
	// Note receives the steps of the wait ("Waiting for services to be
	// ready").
	Note func(msg string)
	// Confirm asks the user to consent to recreating volumes whose
	// configuration changed (their data is lost); nil refuses.
	Confirm func(volumes []string) error
	// Build builds the images PlanBuilds selects among opts.Services
	// (BuildKit, parallel, with the builder's steps shown) and returns
	// them; in a dry run it lists them without building. nil: no builds.
	Build func(ctx context.Context, p *project.Project, opts BuildOptions, dryRun, quiet bool) ([]Built, error)
	// Lock takes the project lock for a run that changes the engine; nil:
	// no lock.
	Lock func(ctx context.Context, project string) (unlock func(), err error)
}

// PipelineEngine is what the pipeline needs from an engine: the convergence
// seam plus building and pulling.
type PipelineEngine interface {
	Engine
	HookRunner
	ImageStore
	ImageBuilder
}

// Pipeline runs requests: observe, build and pull, plan, execute, wait.
// Every command that changes a project goes through it, so that a new
// compose key implemented in the planner works for all of them.
type Pipeline struct {
	Engine PipelineEngine
	// Parallel bounds concurrent engine calls (DefaultParallel when 0).
	Parallel int
	// PullLog remembers pull times for the refresh pull policies (nil: none).
	PullLog PullLog
	// Providers runs the programs of provider services (nil: a project
	// with one is refused by up and run).
	Providers ProviderRunner
	// Models serves the project's models (nil: a project with models is
	// refused by up and run, naming what is missing).
	Models ModelRunner
	Hooks
}

// Built is an image the build step built (or, in a dry run, would build).
type Built struct {
	Ref     string
	Service string
	// Err is why the build of Service failed (BuildOptions.Partial only);
	// it names the service and the image.
	Err error
}

// Result is what a run did, or in a dry run would do.
type Result struct {
	Builds []Built
	Pulls  []ImagePull
	Plan   *Plan
	// OneOffID is the container OpRun created ("" in a dry run).
	OneOffID string
}

// Run runs one request.
func (pl *Pipeline) Run(ctx context.Context, req Request) (*Result, error) {
	if req.Project != nil {
		req.Name = req.Project.Name
	}
	res, err := pl.locked(ctx, req)
	if err != nil || req.DryRun || !req.Wait {
		return res, err
	}
	// The lock is released: waiting changes nothing.
	return res, pl.wait(ctx, req)
}

// locked runs the steps that change the engine under the project lock.
func (pl *Pipeline) locked(ctx context.Context, req Request) (*Result, error) {
	if !req.DryRun && pl.Lock != nil {
		unlock, err := pl.Lock(ctx, req.Name)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	switch req.Op {
	case OpUp, OpRun:
		return pl.converge(ctx, req)
	case OpStart, OpRestart, OpStop:
		return pl.lifecycle(ctx, req)
	case OpDown:
		return pl.down(ctx, req)
	}
	return nil, fmt.Errorf("unknown operation %d", req.Op)
}

// converge is up's and run's path.
func (pl *Pipeline) converge(ctx context.Context, req Request) (*Result, error) {
	p := req.Project
	if p == nil {
		return nil, errors.New("this command needs a compose file")
	}
	scope := req.Up.Services
	if req.Op == OpRun {
		// What run builds and pulls: its service, and what it depends on
		// unless --no-deps.
		scope = []string{req.OneOff.Service}
		if req.OneOff.Deps {
			scope = p.WithDependencies(scope)
		}
	}
	// Before any build or pull: keys the engine's API cannot honour.
	ev, err := pl.Engine.EngineVersion(ctx)
	if err != nil {
		return nil, err
	}
	if err := CheckAPI(p, scope, ev); err != nil {
		// The refusal names the engine's release, which is asked for only now.
		if ev, err = WithRelease(ctx, pl.Engine, ev); err != nil {
			return nil, err
		}
		return nil, CheckAPI(p, scope, ev)
	}
	if req.Op == OpUp && req.Up.Services == nil {
		if err := CheckJobs(p, "", ev); err != nil {
			if ev, err = WithRelease(ctx, pl.Engine, ev); err != nil {
				return nil, err
			}
			return nil, CheckJobs(p, "", ev)
		}
	}
	// Provider services first: what they set is part of their dependents'
	// configuration.
	if p, err = pl.runProviders(ctx, p, scope, req.DryRun); err != nil {
		return nil, err
	}
	if p, err = pl.ensureModels(ctx, p, scope, req.DryRun); err != nil {
		return nil, err
	}
	req.Project = p
	// up and create fail a service whose image is missing alone, as
	// Compose does; a dry run shows the refusal, and run needs every image.
	req.Up.PartialImages = req.Op == OpUp && !req.DryRun
	res := &Result{}
	build := req.Build
	build.Services = scope
	// A failed build fails its service alone, like a failed pull.
	build.Partial = req.Up.PartialImages
	if res.Builds, err = pl.build(ctx, p, build, req.DryRun, req.Quiet); err != nil {
		return res, err
	}
	obs, err := Observe(ctx, pl.Engine, p)
	if err != nil {
		return res, err
	}
	recordBuildFailures(&obs, res.Builds)
	if res.Pulls, err = pl.pull(ctx, p, scope, req, &obs); err != nil {
		return res, err
	}
	if req.DryRun {
		for _, b := range res.Builds {
			if obs.ImageIDs[b.Ref] == "" {
				obs.ImageIDs[b.Ref] = "sha256:(to be built)"
			}
		}
	}
	plan, err := pl.plan(p, obs, req)
	if err == nil && len(plan.VolumeChanges) > 0 && !req.Up.RecreateVolumes && !req.DryRun {
		if pl.Confirm == nil {
			err = fmt.Errorf("volumes %v exist with a different configuration: recreating them deletes their data", plan.VolumeChanges)
		} else if err = pl.Confirm(plan.VolumeChanges); err == nil {
			req.Up.RecreateVolumes = true
			plan, err = pl.plan(p, obs, req)
		}
	}
	if err != nil {
		return res, err
	}
	res.Plan = plan
	x, err := pl.execute(ctx, plan, req.Project, req.DryRun)
	if req.Op == OpRun && x != nil {
		res.OneOffID = x.CreatedID(req.OneOff.Create.Name)
	}
	return res, err
}

// plan is the pure step of converge.
func (pl *Pipeline) plan(p *project.Project, obs Observed, req Request) (*Plan, error) {
	if req.Op == OpRun {
		return PlanRun(p, obs, req.Up, *req.OneOff)
	}
	return PlanUp(p, obs, req.Up)
}

// execute reports the plan's warnings, then applies it (not in a dry run)
// and returns the executor, which knows what it created.
func (pl *Pipeline) execute(ctx context.Context, plan *Plan, p *project.Project, dryRun bool) (*Executor, error) {
	if pl.Warn != nil {
		for _, w := range plan.Warnings {
			pl.Warn(w)
		}
	}
	if dryRun {
		return nil, nil
	}
	out := pl.stage(StageStart{Stage: StageApply, Plan: plan}, false)
	defer out.Done()
	x := &Executor{Engine: pl.Engine, Parallel: pl.Parallel, Events: out.Events, Project: p, Hooks: pl.Engine}
	return x, x.Apply(ctx, plan)
}

func (pl *Pipeline) stage(s StageStart, quiet bool) StageOutput {
	var out StageOutput
	if !quiet && pl.Progress != nil {
		out = pl.Progress(s)
	}
	if out.Done == nil {
		out.Done = func() {}
	}
	return out
}

// lifecycle is start's, stop's and restart's path: from the containers observed,
// with the dependency graph of the file or, without one, of the labels.
func (pl *Pipeline) lifecycle(ctx context.Context, req Request) (*Result, error) {
	cs, err := pl.Engine.ListContainers(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	graph := DependenciesOf(req.Project, cs)
	var plan *Plan
	if req.Op == OpStart {
		if len(lifecycleContainers(cs, nil)) == 0 {
			return nil, errors.New("no containers to start: create them with `mycompose up` or `mycompose create` first")
		}
		for _, s := range req.Services {
			if len(lifecycleContainers(cs, []string{s})) == 0 {
				return nil, fmt.Errorf("service %q has no container to start: create it with `mycompose up -d %s` first", s, s)
			}
		}
		services := req.Services
		if len(services) > 0 {
			services = graph.WithDependencies(services)
		}
		plan = PlanStart(cs, graph, services)
	} else if req.Op == OpStop {
		plan = PlanStop(cs, graph, req.Services, req.Timeout)
	} else {
		services := req.Services
		if len(services) > 0 && !req.NoDeps {
			services = graph.WithRestartDependents(services)
		}
		plan = PlanRestart(cs, graph, services, req.Timeout)
	}
	if _, err = pl.execute(ctx, plan, req.Project, req.DryRun); err == nil && req.Op == OpStop {
		// Providers whose metadata declares stop stop too, as in Compose.
		err = pl.endProviders(ctx, req.Project, req.Services, "stop", req.DryRun)
	}
	return &Result{Plan: plan}, err
}

// down is down's path: from observed state alone.
func (pl *Pipeline) down(ctx context.Context, req Request) (*Result, error) {
	obs, err := ObserveProject(ctx, pl.Engine, req.Name)
	if err != nil {
		return nil, err
	}
	plan := PlanDown(obs, req.Down)
	PlanImageRemovals(plan, obs, req.Project, req.Name, req.RemoveImages)
	if _, err = pl.execute(ctx, plan, req.Project, req.DryRun); err != nil {
		return &Result{Plan: plan}, err
	}
	var only []string
	if len(req.Down.Only) > 0 {
		only = req.Down.Only
	}
	err = pl.endProviders(ctx, req.Project, only, "down", req.DryRun)
	return &Result{Plan: plan}, err
}

// wait waits until the services in scope are ready.
func (pl *Pipeline) wait(ctx context.Context, req Request) error {
	services := req.Up.Services
	if req.Op == OpStart {
		services = req.Services
		if len(services) > 0 {
			cs, err := pl.Engine.ListContainers(ctx, req.Name)
			if err != nil {
				return err
			}
			services = DependenciesOf(req.Project, cs).WithDependencies(services)
		}
	}
	if req.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.WaitTimeout)
		defer cancel()
	}
	pl.note(" Waiting for services to be ready")
	if err := WaitReady(ctx, pl.Engine, req.Name, services); err != nil {
		return err
	}
	pl.note(" Services ready")
	return nil
}

func (pl *Pipeline) note(msg string) {
	if pl.Note != nil {
		pl.Note(msg)
	}
}
