package convergence

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mycompose/mycompose/project"
)

// PlanRun plans `run`: the networks and volumes the one-off needs, the
// services it depends on (when o.Deps, converged as up would with opts),
// and the one-off container itself, created like a replica (secrets,
// configs, platform, networks) and started once its dependencies are
// (when o.Start). The one-off is created once its dependencies are done
// and their conditions hold. It is pure.
func PlanRun(p *project.Project, obs Observed, opts UpOptions, o OneOff) (*Plan, error) {
	svc, ok := p.Service(o.Service)
	if !ok {
		return nil, fmt.Errorf("no such service: %q", o.Service)
	}
	var needs []string
	if o.Deps {
		for _, s := range p.WithDependencies([]string{svc.Name}) {
			if s != svc.Name {
				needs = append(needs, s)
			}
		}
	}
	opts.Services = needs
	pl := &planner{p: p, obs: obs, opts: opts, plan: &Plan{Project: p.Name}, byService: map[string][]int{}, recreated: map[string]bool{}}
	inScope := map[string]bool{svc.Name: true}
	for _, s := range needs {
		inScope[s] = true
	}
	pl.planNetworks(inScope)
	pl.planVolumes()
	if len(needs) > 0 {
		levels, err := project.Levels(p.DependencyMap())
		if err != nil {
			return nil, err
		}
		for _, level := range levels {
			for _, name := range level {
				if name != svc.Name && inScope[name] {
					dep, _ := p.Service(name)
					if err := pl.planService(dep); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	// Containers of services the file no longer has are named (or, with
	// --remove-orphans, removed) as up does, whatever the one-off needs.
	pl.planOrphans()
	imageID := obs.ImageIDs[svc.Container.Image]
	if imageID == "" {
		return nil, fmt.Errorf("service %q: image %q is not present on the engine: pull or build it, then run again", svc.Name, svc.Container.Image)
	}
	spec := o.Create
	spec.Spec.Labels = project.WithImageLabel(spec.Spec.Labels, imageID)
	a := Action{Kind: CreateContainer, Name: spec.Name, Service: svc.Name, Reason: "one-off", OneOff: true,
		NoStart: !o.Start, PublishesPorts: len(spec.Spec.Ports) > 0, CreateAfter: pl.createPrereqs(&spec.Spec), Create: &spec}
	mode := spec.Spec.NetworkMode
	switch {
	case strings.HasPrefix(mode, "service:"):
		a.NetworkModeService = strings.TrimPrefix(mode, "service:")
		a.CreateAfter = append(a.CreateAfter, pl.byService[a.NetworkModeService]...)
		c, ok := pl.firstReplica(a.NetworkModeService)
		if !ok && len(pl.byService[a.NetworkModeService]) == 0 {
			return nil, fmt.Errorf("service %q uses network_mode service:%s: service %q has no container: run `mycompose up -d %s` first",
				svc.Name, a.NetworkModeService, a.NetworkModeService, a.NetworkModeService)
		}
		if ok {
			spec.NetworkMode = "container:" + c.ID
		}
	case mode == "" && len(svc.Networks) > 0:
		spec.PrimaryNetwork = svc.Networks[0].Name
		spec.PrimaryEndpoint = oneOffEndpoint(svc, svc.Networks[0], o.UseAliases)
		spec.PrimaryEndpoint.Links = serviceLinks(p, svc, 1)
		multi := APIAtLeast(obs.Engine.API, MultiNetworkCreateAPI)
		for _, att := range svc.Networks[1:] {
			ne := NetworkEndpoint{Network: att.Name, Endpoint: oneOffEndpoint(svc, att, o.UseAliases)}
			if multi {
				spec.Networks = append(spec.Networks, ne)
			} else {
				a.Networks = append(a.Networks, ne)
			}
		}
	}
	if o.Deps {
		// Created only once its dependencies are done, so that nothing of
		// it is left behind when one of them fails.
		for _, s := range needs {
			a.CreateAfter = append(a.CreateAfter, pl.byService[s]...)
		}
		slices.Sort(a.CreateAfter)
		a.CreateAfter = slices.Compact(a.CreateAfter)
		for _, d := range svc.DependsOn {
			if dep, ok := p.Service(d.Service); ok && dep.Replicas > 0 &&
				(d.Condition == project.ConditionHealthy || d.Condition == project.ConditionCompleted) {
				a.Conditions = append(a.Conditions, d)
			}
		}
	}
	pl.add(a)
	return pl.plan, nil
}

// oneOffEndpoint is a one-off's endpoint on a service network: no service
// aliases unless asked (run --use-aliases), as in Docker Compose, so that the
// service name keeps resolving to the service's own containers; and no
// fixed address, which the service's container already holds.
func oneOffEndpoint(svc *project.Service, att project.NetworkAttachment, useAliases bool) Endpoint {
	if !useAliases {
		return Endpoint{}
	}
	return Endpoint{Aliases: append([]string{svc.Name}, att.Aliases...)}
}
