package convergence

import (
	"context"
	"fmt"
	"time"

	"github.com/mycompose/mycompose/project"
)

// The build and pull steps of the pipeline.

// build runs the Build hook for the services in scope: the command's
// builder decides what to build with PlanBuilds and renders the builder's
// steps; nil builds nothing.
func (pl *Pipeline) build(ctx context.Context, p *project.Project, opts BuildOptions, dryRun, quiet bool) ([]Built, error) {
	if pl.Build == nil {
		return nil, nil
	}
	return pl.Build(ctx, p, opts, dryRun, quiet)
}

// pull pulls the images the services in scope need under their pull
// policies (and PullPolicy), then reads the pulled images' IDs into obs.
// With req.Up.PartialImages a failed pull is recorded in obs.ImageErrors
// for each service of that image, which the planner fails alone; without
// it a failed pull fails before anything is created. In a dry run the
// images it would pull count as present, so that the plan shows what would
// be created. A no-op makes no engine call more.
func (pl *Pipeline) pull(ctx context.Context, p *project.Project, scope []string, req Request, obs *Observed) ([]ImagePull, error) {
	pulls, _, err := PlanPulls(p, obs.ImageIDs, PullPlanOptions{
		Services: scope, Override: req.PullPolicy, Default: PullMissing, Log: pl.PullLog, Now: time.Now(),
	})
	if err != nil || len(pulls) == 0 {
		return nil, err
	}
	if obs.ImageIDs == nil {
		obs.ImageIDs = map[string]string{}
	}
	if req.DryRun {
		for _, p := range pulls {
			if obs.ImageIDs[p.Ref] == "" {
				obs.ImageIDs[p.Ref] = "sha256:(to be pulled)"
			}
		}
		return pulls, nil
	}
	out := pl.stage(StageStart{Stage: StagePull, Pulls: pulls}, req.Quiet)
	pu := &Puller{Store: pl.Engine, Parallel: pl.Parallel, Log: pl.PullLog, Events: out.Events, Progress: out.Pull}
	var errs []error
	if req.Up.PartialImages {
		errs = pu.PullEach(ctx, pulls)
		err = ctx.Err()
	} else {
		err = pu.Pull(ctx, pulls)
	}
	out.Done()
	if err != nil {
		return pulls, err
	}
	var refs []string
	for i, p := range pulls {
		if i < len(errs) && errs[i] != nil {
			recordPullFailure(obs, p, errs[i])
			continue
		}
		refs = append(refs, p.Ref)
	}
	if len(refs) == 0 {
		return pulls, nil
	}
	ids, err := pl.Engine.ImageIDs(ctx, refs)
	for ref, id := range ids {
		obs.ImageIDs[ref] = id
	}
	return pulls, err
}

// recordBuildFailures marks each service whose build failed as failed for
// its image: the planner then fails it even when an older image is present,
// and leaves its dependents unstarted.
func recordBuildFailures(obs *Observed, builds []Built) {
	for _, b := range builds {
		if b.Err == nil {
			continue
		}
		if obs.ImageErrors == nil {
			obs.ImageErrors = map[string]error{}
		}
		obs.ImageErrors[b.Service] = &buildFailure{b.Err}
	}
}

// buildFailure marks an image error as a failed build, for the plan's
// reason; its text is the build's error.
type buildFailure struct{ err error }

func (e *buildFailure) Error() string { return e.err.Error() }
func (e *buildFailure) Unwrap() error { return e.err }

// recordPullFailure marks each service of a failed pull as failed for its
// image.
func recordPullFailure(obs *Observed, p ImagePull, err error) {
	if obs.ImageErrors == nil {
		obs.ImageErrors = map[string]error{}
	}
	for _, svc := range p.Services {
		obs.ImageErrors[svc] = fmt.Errorf("service %q: image %q could not be pulled: %w", svc, p.Ref, err)
	}
}
