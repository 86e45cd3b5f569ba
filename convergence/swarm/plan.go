package swarm

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is what an action does.
type Kind string

// Action kinds, in the order Apply runs them.
const (
	CreateNetwork Kind = "create network"
	CreateSecret  Kind = "create secret"
	CreateConfig  Kind = "create config"
	CreateService Kind = "create service"
	UpdateService Kind = "update service"
	ScaleService  Kind = "scale service"
	RemoveService Kind = "remove service"
	RemoveSecret  Kind = "remove secret"
	RemoveConfig  Kind = "remove config"
	RemoveNetwork Kind = "remove network"
)

var kindOrder = map[Kind]int{
	CreateNetwork: 0, CreateSecret: 1, CreateConfig: 2, CreateService: 3, UpdateService: 4,
	ScaleService: 5, RemoveService: 6, RemoveSecret: 7, RemoveConfig: 8, RemoveNetwork: 9,
}

// Action is one step of a plan.
type Action struct {
	Kind    Kind
	Name    string
	Reason  string
	ID      string // observed object, for update, scale and remove
	Service *ServiceSpec
	Network *NetworkSpec
	Object  *ObjectSpec
	// Replicas is the target of a scale.
	Replicas uint64
}

// Observed is the stack as the manager reports it.
type Observed struct {
	Services []Service
	Networks []Object
	Secrets  []Object
	Configs  []Object
}

// PlanOptions narrow a plan.
type PlanOptions struct {
	// ScaleOnly limits the plan to these services' replicas (scale): missing
	// services are created, existing ones only scaled, nothing removed.
	ScaleOnly []string
	// Down removes everything observed and creates nothing.
	Down bool
}

// Plan compares the desired stack with the observed one. It is pure.
func Plan(d *Desired, o Observed, opts PlanOptions) []Action {
	var acts []Action
	if opts.Down {
		d = &Desired{Stack: d.Stack}
	}
	only := map[string]bool{}
	for _, s := range opts.ScaleOnly {
		only[d.Stack+"_"+s] = true
	}
	scaleOnly := len(opts.ScaleOnly) > 0
	if !scaleOnly {
		acts = append(acts, objects(CreateNetwork, RemoveNetwork, networksOf(d), o.Networks)...)
		acts = append(acts, objects(CreateSecret, RemoveSecret, specsOf(d.Secrets), o.Secrets)...)
		acts = append(acts, objects(CreateConfig, RemoveConfig, specsOf(d.Configs), o.Configs)...)
	}
	have := map[string]Service{}
	for _, s := range o.Services {
		have[s.Name] = s
	}
	want := map[string]bool{}
	for i := range d.Services {
		s := &d.Services[i]
		want[s.Name] = true
		if scaleOnly && !only[s.Name] {
			continue
		}
		cur, ok := have[s.Name]
		switch {
		case !ok:
			acts = append(acts, Action{Kind: CreateService, Name: s.Name, Reason: "missing", Service: s})
		case scaleOnly || cur.Labels[HashLabel] == s.Hash:
			if !s.Global && !cur.Global && cur.Replicas != s.Replicas {
				acts = append(acts, Action{Kind: ScaleService, Name: s.Name, ID: cur.ID, Replicas: s.Replicas,
					Reason: fmt.Sprintf("replicas %d -> %d", cur.Replicas, s.Replicas)})
			}
		default:
			reason := "spec changed"
			if cur.Labels[HashLabel] == "" {
				reason = "not deployed by mycompose"
			}
			if cur.Global != s.Global {
				// Swarm cannot change a service's mode: replace it.
				acts = append(acts, Action{Kind: RemoveService, Name: s.Name, ID: cur.ID, Reason: "mode changed"},
					Action{Kind: CreateService, Name: s.Name, Reason: "mode changed", Service: s})
				continue
			}
			acts = append(acts, Action{Kind: UpdateService, Name: s.Name, ID: cur.ID, Reason: reason, Service: s})
		}
	}
	if !scaleOnly {
		for _, s := range o.Services {
			if !want[s.Name] {
				acts = append(acts, Action{Kind: RemoveService, Name: s.Name, ID: s.ID, Reason: "not in the project"})
			}
		}
	}
	sort.SliceStable(acts, func(i, j int) bool {
		if kindOrder[acts[i].Kind] != kindOrder[acts[j].Kind] {
			// A mode change removes before it creates.
			if acts[i].Name == acts[j].Name && acts[i].Kind == RemoveService {
				return true
			}
			if acts[i].Name == acts[j].Name && acts[j].Kind == RemoveService {
				return false
			}
			return kindOrder[acts[i].Kind] < kindOrder[acts[j].Kind]
		}
		return acts[i].Name < acts[j].Name
	})
	return acts
}

type named struct {
	name string
	net  *NetworkSpec
	obj  *ObjectSpec
}

func networksOf(d *Desired) []named {
	out := make([]named, 0, len(d.Networks))
	for i := range d.Networks {
		out = append(out, named{name: d.Networks[i].Name, net: &d.Networks[i]})
	}
	return out
}

func specsOf(os []ObjectSpec) []named {
	out := make([]named, 0, len(os))
	for i := range os {
		out = append(out, named{name: os[i].Name, obj: &os[i]})
	}
	return out
}

// objects creates the desired objects that are missing and removes the
// observed ones no longer desired (after the services that used them).
func objects(create, remove Kind, want []named, have []Object) []Action {
	var acts []Action
	seen := map[string]bool{}
	for _, h := range have {
		seen[h.Name] = true
	}
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w.name] = true
		if !seen[w.name] {
			acts = append(acts, Action{Kind: create, Name: w.name, Reason: "missing", Network: w.net, Object: w.obj})
		}
	}
	for _, h := range have {
		if !wanted[h.Name] {
			acts = append(acts, Action{Kind: remove, Name: h.Name, ID: h.ID, Reason: "not in the project"})
		}
	}
	return acts
}

// Format renders a plan one action a line, for --dry-run and golden tests.
func Format(acts []Action) string {
	if len(acts) == 0 {
		return "nothing to do\n"
	}
	var b strings.Builder
	for _, a := range acts {
		fmt.Fprintf(&b, "%-14s %-28s %s\n", a.Kind, a.Name, a.Reason)
	}
	return b.String()
}
