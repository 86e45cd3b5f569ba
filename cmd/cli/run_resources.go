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
	nets, err := eng.ListNetworks(ctx, p.Name)
	if err != nil {
		return err
	}
	vols, err := eng.ListVolumes(ctx, p.Name)
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, n := range nets {
		exists["network "+n.Name] = true
	}
	for _, v := range vols {
		exists["volume "+v.Name] = true
	}
	plan := &convergence.Plan{}
	for _, att := range svc.Networks {
		n, ok := p.Network(att.Key)
		if !ok || n.External || exists["network "+n.Name] {
			continue
		}
		exists["network "+n.Name] = true
		plan.Actions = append(plan.Actions, convergence.Action{Kind: convergence.CreateNetwork, Name: n.Name, Reason: "missing",
			NetworkSpec: &convergence.NetworkSpec{Name: n.Name, Driver: n.Driver, DriverOpts: n.DriverOpts,
				Labels: p.NetworkLabels(n), Internal: n.Internal, Attachable: n.Attachable, EnableIPv6: n.EnableIPv6, IPAM: n.IPAM}})
	}
	for i := range p.Volumes {
		v := &p.Volumes[i]
		if v.External || exists["volume "+v.Name] || !mountsVolume(svc, v.Name) {
			continue
		}
		plan.Actions = append(plan.Actions, convergence.Action{Kind: convergence.CreateVolume, Name: v.Name, Reason: "missing",
			VolumeSpec: &convergence.VolumeSpec{Name: v.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: p.VolumeLabels(v)}})
	}
	if plan.Empty() {
		return nil
	}
	return apply(ctx, deps, g, eng, plan)
}

func mountsVolume(svc *project.Service, name string) bool {
	for _, m := range svc.Container.Mounts {
		if m.Type == project.MountVolume && m.Source == name {
			return true
		}
	}
	return false
}
