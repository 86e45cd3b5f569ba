// Package fakeengine is an in-memory convergence.Engine for unit tests. It
// keeps containers, networks and volumes in maps, records every call as a
// readable string, and can fail chosen calls. It does not pretend to be
// Docker: real behaviour is proven by end-to-end tests.
package fakeengine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mycompose/mycompose/convergence"
)

// Engine is the fake. The zero value is not usable: call New.
type Engine struct {
	mu         sync.Mutex
	seq        int
	containers map[string]*convergence.Container // by ID
	networks   map[string]*convergence.Network   // by name
	volumes    map[string]*convergence.Volume    // by name
	images     map[string]string                 // ref -> ID
	calls      []string
	failures   map[string][]error // call prefix -> errors returned in turn
	now        time.Time
	version    convergence.EngineVersion
}

// New returns an empty fake engine knowing the given images (ref -> ID).
func New(images map[string]string) *Engine {
	e := &Engine{
		containers: map[string]*convergence.Container{},
		networks:   map[string]*convergence.Network{},
		volumes:    map[string]*convergence.Volume{},
		images:     map[string]string{},
		failures:   map[string][]error{},
		now:        time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		// The oldest API mycompose supports, unless a test sets another.
		version: convergence.EngineVersion{API: "1.41", Version: "fake", MaxAPI: "1.41"},
	}
	for k, v := range images {
		e.images[k] = v
	}
	return e
}

// SetAPIVersion makes the fake speak (and negotiate) the given API version.
func (e *Engine) SetAPIVersion(api string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.version.API, e.version.MaxAPI = api, api
}

// EngineVersion implements convergence.Engine. It is not logged: it reads.
func (e *Engine) EngineVersion(context.Context) (convergence.EngineVersion, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.version, nil
}

// EngineRelease implements convergence.Engine. It is not logged: it reads.
func (e *Engine) EngineRelease(context.Context) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.version.Version, nil
}

// FailNext makes the next calls whose log line starts with prefix return the
// given errors, one per call.
func (e *Engine) FailNext(prefix string, errs ...error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failures[prefix] = append(e.failures[prefix], errs...)
}

// Calls returns the mutating calls made so far, sorted (the executor runs in
// parallel, so order is not meaningful), and resets the log.
func (e *Engine) Calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.calls
	e.calls = nil
	sort.Strings(out)
	return out
}

// record logs a call and returns the injected failure for it, if any.
func (e *Engine) record(format string, args ...any) error {
	line := fmt.Sprintf(format, args...)
	e.calls = append(e.calls, line)
	for prefix, errs := range e.failures {
		if strings.HasPrefix(line, prefix) && len(errs) > 0 {
			e.failures[prefix] = errs[1:]
			return errs[0]
		}
	}
	return nil
}

func (e *Engine) nextID() string {
	e.seq++
	return fmt.Sprintf("%064x", e.seq)
}

// ListContainers implements convergence.Engine.
func (e *Engine) ListContainers(_ context.Context, projectName string) ([]convergence.Container, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("list containers"); err != nil {
		return nil, err
	}
	var out []convergence.Container
	for _, c := range e.containers {
		if c.Project == projectName {
			cp := *c
			cp.Labels = copyMap(c.Labels)
			cp.Mounts = append([]convergence.ContainerMount(nil), c.Mounts...)
			out = append(out, cp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ListNetworks implements convergence.Engine.
func (e *Engine) ListNetworks(_ context.Context, projectName string) ([]convergence.Network, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("list networks"); err != nil {
		return nil, err
	}
	var out []convergence.Network
	for _, n := range e.networks {
		if n.Project == projectName {
			out = append(out, *n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ListVolumes implements convergence.Engine.
func (e *Engine) ListVolumes(_ context.Context, projectName string) ([]convergence.Volume, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("list volumes"); err != nil {
		return nil, err
	}
	var out []convergence.Volume
	for _, v := range e.volumes {
		if v.Project == projectName {
			out = append(out, *v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ImageIDs implements convergence.Engine.
func (e *Engine) ImageIDs(_ context.Context, refs []string) (map[string]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("image ids"); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range refs {
		if id, ok := e.images[r]; ok {
			out[r] = id
		}
	}
	return out, nil
}

// InspectContainer implements convergence.Engine.
func (e *Engine) InspectContainer(_ context.Context, nameOrID string) (convergence.Container, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.containers {
		if c.ID == nameOrID || c.Name == nameOrID {
			cp := *c
			cp.Labels = copyMap(c.Labels)
			return cp, nil
		}
	}
	return convergence.Container{}, fmt.Errorf("container %q: %w", nameOrID, convergence.ErrNotFound)
}

// InspectNetwork implements convergence.Engine: by name or ID, with the
// containers that have an endpoint on it (running ones, as in the engine:
// a created container's endpoint exists in its configuration only).
func (e *Engine) InspectNetwork(_ context.Context, name string) (convergence.Network, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.network(name)
	if !ok {
		return convergence.Network{}, fmt.Errorf("network %q: %w", name, convergence.ErrNotFound)
	}
	out := *n
	out.Containers = e.endpoints(n)
	return out, nil
}

// network finds a network by name or ID.
func (e *Engine) network(nameOrID string) (*convergence.Network, bool) {
	if n, ok := e.networks[nameOrID]; ok {
		return n, true
	}
	for _, n := range e.networks {
		if n.ID == nameOrID {
			return n, true
		}
	}
	return nil, false
}

// endpoints returns the IDs of the containers with an endpoint on n,
// sorted.
func (e *Engine) endpoints(n *convergence.Network) []string {
	var ids []string
	for _, c := range e.containers {
		if _, on := c.Networks[n.Name]; on && hasEndpoints(c.State) {
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// hasEndpoints reports whether a container in that state holds network
// endpoints.
func hasEndpoints(state string) bool {
	return state == "running" || state == "paused" || state == "restarting"
}

// InspectVolume implements convergence.Engine.
func (e *Engine) InspectVolume(_ context.Context, name string) (convergence.Volume, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.volumes[name]
	if !ok {
		return convergence.Volume{}, fmt.Errorf("volume %q: %w", name, convergence.ErrNotFound)
	}
	return *v, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
