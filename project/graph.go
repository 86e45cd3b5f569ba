package project

import (
	"fmt"
	"sort"
	"strings"
)

// Levels orders services by depends_on: level 0 has no dependencies among
// the given services, level k depends only on levels < k. Names in each level
// are sorted. Dependencies on services not in deps are ignored (they are
// optional or disabled). A cycle is an error naming the services in it.
func Levels(deps map[string][]string) ([][]string, error) {
	level := make(map[string]int, len(deps))
	state := make(map[string]int, len(deps)) // 0 unvisited, 1 visiting, 2 done
	var stack []string
	var visit func(string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			i := 0
			for i < len(stack) && stack[i] != name {
				i++
			}
			cycle := append(append([]string{}, stack[i:]...), name)
			return fmt.Errorf("dependency cycle between services: %s", strings.Join(cycle, " -> "))
		case 2:
			return nil
		}
		state[name] = 1
		stack = append(stack, name)
		l := 0
		targets := append([]string(nil), deps[name]...)
		sort.Strings(targets)
		for _, d := range targets {
			if _, ok := deps[d]; !ok {
				continue
			}
			if err := visit(d); err != nil {
				return err
			}
			if level[d]+1 > l {
				l = level[d] + 1
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = 2
		level[name] = l
		return nil
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	var out [][]string
	for _, n := range names {
		l := level[n]
		for len(out) <= l {
			out = append(out, nil)
		}
		out[l] = append(out[l], n)
	}
	return out, nil
}

// DependencyMap returns service name -> names of the services it depends on.
func (p *Project) DependencyMap() map[string][]string {
	m := make(map[string][]string, len(p.Services))
	for _, s := range p.Services {
		var ds []string
		for _, d := range s.DependsOn {
			ds = append(ds, d.Service)
		}
		if strings.HasPrefix(s.Container.NetworkMode, "service:") {
			ds = append(ds, strings.TrimPrefix(s.Container.NetworkMode, "service:"))
		}
		m[s.Name] = ds
	}
	return m
}

// WithDependencies returns the given services plus everything they depend on,
// transitively, sorted.
func (p *Project) WithDependencies(names []string) []string {
	deps := p.DependencyMap()
	return Closure(names, func(n string) []string {
		var out []string
		for _, d := range deps[n] {
			if _, ok := deps[d]; ok {
				out = append(out, d)
			}
		}
		return out
	})
}

// Closure returns names plus every name next reaches from them,
// transitively, sorted: the one walk behind the dependency and dependent
// closures of the project and of the engine's labels.
func Closure(names []string, next func(string) []string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, m := range next(n) {
			walk(m)
		}
	}
	for _, n := range names {
		walk(n)
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
