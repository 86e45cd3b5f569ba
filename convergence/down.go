package convergence

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mycompose/mycompose/project"
)

// DownOptions tune PlanDown.
type DownOptions struct {
	// Services are the services of the loaded compose file; nil when down
	// works from labels alone, in which case every container of the project
	// is removed.
	Services []string
	// Networks are the engine names of the networks the compose file
	// declares; nil: every network labelled with the project.
	Networks      []string
	RemoveOrphans bool
	RemoveVolumes bool
	Timeout       *time.Duration
	// Only names the services `down SERVICE...` removes; nil: all. The
	// project's networks and volumes go only once nothing else uses them.
	Only []string
}

// PlanDown computes the removal of a project from observed state alone:
// containers in reverse dependency order, then networks, then (with -v)
// volumes. It is pure and deterministic.
func PlanDown(obs Observed, opts DownOptions) *Plan {
	plan := &Plan{}
	known := map[string]bool{}
	for _, s := range opts.Services {
		known[s] = true
	}
	removing := map[string]bool{}
	byService := map[string][]int{}
	dependents := map[string][]string{} // service -> services that depend on it
	var orphans []string
	only := map[string]bool{}
	for _, s := range opts.Only {
		only[s] = true
	}
	for _, c := range sortedContainers(obs.Containers) {
		svc := c.Service
		if len(only) > 0 && !only[svc] {
			continue
		}
		if opts.Services != nil && !known[svc] && !opts.RemoveOrphans {
			if !c.OneOff {
				orphans = append(orphans, c.Name)
			}
			continue
		}
		for _, d := range c.DependsOn {
			dependents[d.Service] = appendUnique(dependents[d.Service], svc)
		}
		removing[c.ID] = true
		i := len(plan.Actions)
		plan.Actions = append(plan.Actions, Action{Kind: RemoveContainer, Name: c.Name, ContainerID: c.ID, Service: svc,
			Reason: "down", Timeout: opts.Timeout, RemoveVolumes: opts.RemoveVolumes})
		byService[svc] = append(byService[svc], i)
	}
	containerActions := make([]int, 0, len(plan.Actions))
	for i := range plan.Actions {
		a := &plan.Actions[i]
		for _, dep := range dependents[a.Service] {
			if dep != a.Service {
				a.After = append(a.After, byService[dep]...)
			}
		}
		sort.Ints(a.After)
		containerActions = append(containerActions, i)
	}
	if len(orphans) > 0 {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf(
			"found orphan containers (%s) for this project; they are kept: run down with --remove-orphans to remove them",
			strings.Join(orphans, ", ")))
	}
	planNetworkRemovals(plan, obs, opts, removing, containerActions)
	if opts.RemoveVolumes {
		kept := volumesKept(obs, opts, removing)
		for _, v := range sortedVolumes(obs.Volumes) {
			if kept[v.Name] {
				continue
			}
			plan.Actions = append(plan.Actions, Action{Kind: RemoveVolume, Name: v.Name, Reason: "down --volumes",
				After: containerActions})
		}
	}
	return plan
}

func planNetworkRemovals(plan *Plan, obs Observed, opts DownOptions, removing map[string]bool, after []int) {
	declared := map[string]bool{}
	for _, n := range opts.Networks {
		declared[n] = true
	}
	networks := append([]Network(nil), obs.Networks...)
	sort.Slice(networks, func(i, j int) bool { return networks[i].Name < networks[j].Name })
	for _, n := range networks {
		if opts.Networks != nil && !declared[n.Name] {
			continue
		}
		var users []string
		for _, id := range n.Containers {
			if !removing[id] {
				users = append(users, shortID(id))
			}
		}
		if len(users) > 0 && len(opts.Only) > 0 {
			continue // down SERVICE...: the rest of the project still uses it
		}
		if len(users) > 0 {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf(
				"network %q is not removed: it is still in use by container(s) %s that this command does not remove",
				n.Name, strings.Join(users, ", ")))
			continue
		}
		plan.Actions = append(plan.Actions, Action{Kind: RemoveNetwork, Name: n.Name, NetworkID: n.ID, Reason: "down", After: after})
	}
}

// volumesKept are, for `down SERVICE... -v`, the volumes that a container
// the command does not remove still mounts, or that none of the removed
// ones mounts: only the named services' volumes go.
func volumesKept(obs Observed, opts DownOptions, removing map[string]bool) map[string]bool {
	if len(opts.Only) == 0 {
		return nil
	}
	used, usedElsewhere := map[string]bool{}, map[string]bool{}
	for _, c := range obs.Containers {
		for _, m := range c.Mounts {
			if m.Type != "volume" || m.Name == "" {
				continue
			}
			if removing[c.ID] {
				used[m.Name] = true
			} else {
				usedElsewhere[m.Name] = true
			}
		}
	}
	kept := map[string]bool{}
	for _, v := range obs.Volumes {
		if !used[v.Name] || usedElsewhere[v.Name] {
			kept[v.Name] = true
		}
	}
	return kept
}

// PlanImageRemovals adds down --rmi's image removals to a down plan, after
// every container removal: with mode "all" every image the project's
// containers (and, with a file, its services) use; with "local" only the
// images built for the project under the default "<project>-<service>"
// name; none with "". It is pure.
func PlanImageRemovals(plan *Plan, obs Observed, p *project.Project, name, mode string) {
	if mode == "" {
		return
	}
	seen := map[string]bool{}
	add := func(ref string) {
		if ref == "" || (mode == "local" && !(len(ref) > len(name)+1 && strings.HasPrefix(ref, name+"-"))) {
			return
		}
		seen[ref] = true
	}
	for _, c := range obs.Containers {
		add(c.Image)
	}
	if p != nil {
		for _, s := range p.Services {
			add(s.Container.Image)
		}
	}
	var after []int
	for i, a := range plan.Actions {
		if a.Kind == RemoveContainer {
			after = append(after, i)
		}
	}
	refs := make([]string, 0, len(seen))
	for ref := range seen {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		plan.Actions = append(plan.Actions, Action{Kind: RemoveImage, Name: ref, After: after})
	}
}

func sortedVolumes(vs []Volume) []Volume {
	out := append([]Volume(nil), vs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
