package convergence

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mycompose/mycompose/project"
)

// ProviderRunner runs the program of a provider service (Docker Compose's
// provider protocol): command is "up" or "down"; info messages go to
// progress. Up returns the variables the provider set.
type ProviderRunner interface {
	RunProvider(ctx context.Context, p *project.Project, svc *project.Service, command string, progress func(msg string)) (ProviderVars, error)
}

// ProviderVars are the environment variables a provider sets on the
// services that depend on it: Prefixed ones (setenv) are named
// <SERVICE>_<KEY>, Raw ones (rawsetenv) as they are.
type ProviderVars struct {
	Prefixed map[string]string
	Raw      map[string]string
}

// providerServices returns the provider services among scope (nil: all),
// sorted by name.
func providerServices(p *project.Project, scope []string) []*project.Service {
	var out []*project.Service
	for _, name := range p.ServiceNames() {
		svc, _ := p.Service(name)
		if svc.Provider != nil && (scope == nil || slices.Contains(scope, name)) {
			out = append(out, svc)
		}
	}
	return out
}

// runProviders runs `up` of the provider services in scope and returns a
// copy of p whose services that depend on them carry the variables they
// set. In a dry run it only says what it would run.
func (pl *Pipeline) runProviders(ctx context.Context, p *project.Project, scope []string, dryRun bool) (*project.Project, error) {
	provs := providerServices(p, scope)
	if len(provs) == 0 {
		return p, nil
	}
	if pl.Providers == nil {
		return nil, fmt.Errorf("service %q is a provider service (provider %q): this command cannot run providers", provs[0].Name, provs[0].Provider.Type)
	}
	out := *p
	out.Services = slices.Clone(p.Services)
	for _, prov := range provs {
		if dryRun {
			pl.note(fmt.Sprintf("Service %s: would run provider %s up", prov.Name, prov.Provider.Type))
			continue
		}
		vars, err := pl.Providers.RunProvider(ctx, p, prov, "up", func(msg string) { pl.note(prov.Name + ": " + msg) })
		if err != nil {
			return nil, fmt.Errorf("service %q: provider %q: %w", prov.Name, prov.Provider.Type, err)
		}
		InjectProviderVars(&out, prov.Name, vars)
	}
	return &out, nil
}

// InjectProviderVars sets the variables provider service name returned on
// each service that depends on it, as Docker Compose does.
func InjectProviderVars(p *project.Project, name string, vars ProviderVars) {
	env := map[string]string{}
	prefix := strings.ToUpper(name) + "_"
	for k, v := range vars.Prefixed {
		env[prefix+k] = v
	}
	for k, v := range vars.Raw {
		env[k] = v
	}
	for i := range p.Services {
		for _, d := range p.Services[i].DependsOn {
			if d.Service == name {
				p.Services[i].InjectEnv(env)
				break
			}
		}
	}
}

// endProviders runs command ("down" or "stop", which a provider runs only
// if its metadata declares it) of the provider services of p in scope
// (nil: all).
func (pl *Pipeline) endProviders(ctx context.Context, p *project.Project, scope []string, command string, dryRun bool) error {
	if p == nil || pl.Providers == nil {
		return nil
	}
	for _, prov := range providerServices(p, scope) {
		if dryRun {
			pl.note(fmt.Sprintf("Service %s: would run provider %s %s", prov.Name, prov.Provider.Type, command))
			continue
		}
		if _, err := pl.Providers.RunProvider(ctx, p, prov, command, func(msg string) { pl.note(prov.Name + ": " + msg) }); err != nil {
			return fmt.Errorf("service %q: provider %q: %w", prov.Name, prov.Provider.Type, err)
		}
	}
	return nil
}
