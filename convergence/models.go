package convergence

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/mycompose/mycompose/project"
)

// ModelRunner makes models available (Docker Model Runner): pulled when
// missing, configured, and served at the endpoint it returns.
type ModelRunner interface {
	EnsureModels(ctx context.Context, p *project.Project, models []project.Model, progress func(msg string)) (endpoint string, err error)
}

// ErrNoModelRunner is wrapped by the error of a project with models on a
// machine where nothing can serve them.
var ErrNoModelRunner = errors.New("Docker Model Runner is not available on this engine")

// scopeModels returns the models the services in scope (nil: all) use.
func scopeModels(p *project.Project, scope []string) (users []string, models []project.Model) {
	keys := map[string]bool{}
	for _, s := range p.Services {
		if len(s.Models) == 0 || (scope != nil && !slices.Contains(scope, s.Name)) {
			continue
		}
		users = append(users, s.Name)
		for _, m := range s.Models {
			keys[m.Key] = true
		}
	}
	for _, m := range p.Models {
		if keys[m.Key] {
			models = append(models, m)
		}
	}
	return users, models
}

// ensureModels makes the models of the services in scope available and
// returns a copy of p whose services carry the endpoint and model
// variables, as Docker Compose sets them.
func (pl *Pipeline) ensureModels(ctx context.Context, p *project.Project, scope []string, dryRun bool) (*project.Project, error) {
	users, models := scopeModels(p, scope)
	if len(models) == 0 {
		return p, nil
	}
	if pl.Models == nil {
		return nil, fmt.Errorf("service %q uses models: %w", users[0], ErrNoModelRunner)
	}
	if dryRun {
		for _, m := range models {
			pl.note(fmt.Sprintf("Model %s: would pull and configure %s", m.Name, m.Model))
		}
		return p, nil
	}
	endpoint, err := pl.Models.EnsureModels(ctx, p, models, pl.note)
	if err != nil {
		return nil, fmt.Errorf("service %q uses models: %w", users[0], err)
	}
	out := *p
	out.Services = slices.Clone(p.Services)
	byKey := map[string]project.Model{}
	for _, m := range models {
		byKey[m.Key] = m
	}
	for i := range out.Services {
		s := &out.Services[i]
		if !slices.Contains(users, s.Name) {
			continue
		}
		env := map[string]string{}
		for _, sm := range s.Models {
			env[sm.EndpointVar] = endpoint
			env[sm.ModelVar] = byKey[sm.Key].Model
		}
		s.InjectEnv(env)
	}
	return &out, nil
}
