package cli

import (
	"context"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// ensureRunResources creates the networks and named volumes a one-off of
// svc needs and that do not exist yet: with --no-deps, or when svc has no
// dependencies, nothing else created them. It runs under the project lock
// because API 1.41 engines accept two networks of one name.
func ensureRunResources(ctx context.Context, deps *Deps, g *globalOptions, eng Engine, p *project.Project, svc *project.Service) error {
	if !g.DryRun {
		lock, err := lockProject(ctx, eng.Endpoint(), p.Name, deps.Stderr)
		if err != nil {
			return err
		}
		defer lock.unlock()
	}
	obs, err := convergence.Observe(ctx, eng, p)
	if err != nil {
		return err
	}
	plan, err := convergence.PlanUp(p, obs, convergence.UpOptions{Services: []string{svc.Name}, ResourcesOnly: true})
	if err != nil {
		return err
	}
	if plan.Empty() {
		return nil
	}
	return apply(ctx, deps, g, eng, plan)
}
