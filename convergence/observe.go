package convergence

import (
	"context"
	"fmt"
	"sort"

	"github.com/mycompose/mycompose/project"
)

// Observe reads the engine state of a project: one label-filtered list each
// of containers, networks and volumes, the IDs of the images the project
// uses, and the engine's (negotiated API) version. The calls run
// concurrently. External networks and volumes that do not
// exist are an error naming them.
func Observe(ctx context.Context, eng Engine, p *project.Project) (Observed, error) {
	var obs Observed
	var errs [6]error
	refs := imageRefs(p)
	done := make(chan int, len(errs))
	go func() { obs.Containers, errs[0] = eng.ListContainers(ctx, p.Name); done <- 0 }()
	go func() { obs.Networks, errs[1] = eng.ListNetworks(ctx, p.Name); done <- 1 }()
	go func() { obs.Volumes, errs[2] = eng.ListVolumes(ctx, p.Name); done <- 2 }()
	go func() { obs.ImageIDs, errs[3] = eng.ImageIDs(ctx, refs); done <- 3 }()
	go func() { errs[4] = checkExternal(ctx, eng, p); done <- 4 }()
	go func() { obs.Engine, errs[5] = eng.EngineVersion(ctx); done <- 5 }()
	for range errs {
		<-done
	}
	for _, err := range errs {
		if err != nil {
			return Observed{}, err
		}
	}
	return obs, nil
}

// ObserveProject reads the state of a project known only by name (down
// without a compose file).
func ObserveProject(ctx context.Context, eng Engine, name string) (Observed, error) {
	var obs Observed
	var err error
	if obs.Containers, err = eng.ListContainers(ctx, name); err != nil {
		return obs, err
	}
	if obs.Networks, err = eng.ListNetworks(ctx, name); err != nil {
		return obs, err
	}
	obs.Volumes, err = eng.ListVolumes(ctx, name)
	return obs, err
}

func imageRefs(p *project.Project) []string {
	seen := map[string]bool{}
	var refs []string
	for _, s := range p.Services {
		if r := s.Container.Image; r != "" && !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	sort.Strings(refs)
	return refs
}

func checkExternal(ctx context.Context, eng Engine, p *project.Project) error {
	for _, n := range p.Networks {
		if !n.External {
			continue
		}
		if _, err := eng.InspectNetwork(ctx, n.Name); err != nil {
			if IsNotFound(err) {
				return fmt.Errorf("network %q is declared as external, but could not be found: create it with `docker network create %s` first", n.Name, n.Name)
			}
			return err
		}
	}
	for _, v := range p.Volumes {
		if !v.External {
			continue
		}
		if _, err := eng.InspectVolume(ctx, v.Name); err != nil {
			if IsNotFound(err) {
				return fmt.Errorf("volume %q is declared as external, but could not be found: create it with `docker volume create %s` first", v.Name, v.Name)
			}
			return err
		}
	}
	return nil
}
