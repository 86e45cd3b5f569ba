package fakeengine

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// CreateNetwork implements convergence.Engine.
func (e *Engine) CreateNetwork(_ context.Context, spec convergence.NetworkSpec) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("create network %s", spec.Name); err != nil {
		return "", err
	}
	if _, ok := e.networks[spec.Name]; ok {
		return "", fmt.Errorf("network %q: %w", spec.Name, convergence.ErrConflict)
	}
	n := &convergence.Network{ID: e.nextID(), Name: spec.Name, Driver: spec.Driver, Labels: copyMap(spec.Labels)}
	n.DecodeLabels()
	e.networks[spec.Name] = n
	return n.ID, nil
}

// RemoveNetwork implements convergence.Engine.
func (e *Engine) RemoveNetwork(_ context.Context, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("remove network %s", name); err != nil {
		return err
	}
	n, ok := e.network(name)
	if !ok {
		return fmt.Errorf("network %q: %w", name, convergence.ErrNotFound)
	}
	if len(e.endpoints(n)) > 0 {
		return fmt.Errorf("remove network %q: %w", name, convergence.ErrNetworkInUse)
	}
	delete(e.networks, n.Name)
	return nil
}

// CreateVolume implements convergence.Engine.
func (e *Engine) CreateVolume(_ context.Context, spec convergence.VolumeSpec) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("create volume %s", spec.Name); err != nil {
		return err
	}
	if v, ok := e.volumes[spec.Name]; ok {
		// As the adapter: the same volume again is success, another one
		// of that name a conflict.
		if !maps.Equal(v.Labels, spec.Labels) {
			return fmt.Errorf("volume %q: %w", spec.Name, convergence.ErrConflict)
		}
		return nil
	}
	v := &convergence.Volume{Name: spec.Name, Driver: "local", Labels: copyMap(spec.Labels)}
	v.DecodeLabels()
	e.volumes[spec.Name] = v
	return nil
}

// RemoveVolume implements convergence.Engine.
func (e *Engine) RemoveVolume(_ context.Context, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("remove volume %s", name); err != nil {
		return err
	}
	if _, ok := e.volumes[name]; !ok {
		return fmt.Errorf("volume %q: %w", name, convergence.ErrNotFound)
	}
	for _, c := range e.containers {
		for _, m := range c.Mounts {
			if m.Type == project.MountVolume && m.Name == name {
				return fmt.Errorf("remove volume %q: %w", name, convergence.ErrVolumeInUse)
			}
		}
	}
	delete(e.volumes, name)
	return nil
}

// CreateContainer implements convergence.Engine.
func (e *Engine) CreateContainer(_ context.Context, spec convergence.CreateSpec) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	line := "create container " + spec.Name
	if len(spec.Networks) > 0 {
		// Created on several networks at once (API 1.44+): log them all.
		names := []string{spec.PrimaryNetwork}
		for _, ne := range spec.Networks {
			names = append(names, ne.Network)
		}
		line += " on " + strings.Join(names, ", ")
	}
	if spec.Spec.Platform != "" {
		line += " platform " + spec.Spec.Platform
	}
	if err := e.record("%s", line); err != nil {
		return "", err
	}
	for _, c := range e.containers {
		if c.Name == spec.Name {
			return "", fmt.Errorf("container name %q: %w", spec.Name, convergence.ErrConflict)
		}
	}
	imageID, ok := e.images[spec.Spec.Image]
	if !ok {
		return "", fmt.Errorf("create container %q: image %q: %w", spec.Name, spec.Spec.Image, convergence.ErrImageNotFound)
	}
	e.now = e.now.Add(time.Second)
	c := &convergence.Container{
		ID: e.nextID(), Name: spec.Name, Image: spec.Spec.Image, ImageID: imageID, State: "created",
		Created: e.now, Labels: copyMap(spec.Spec.Labels), Networks: map[string]string{},
	}
	c.DecodeLabels()
	for _, p := range spec.Spec.Ports {
		host, _ := strconv.ParseUint(p.HostPort, 10, 16)
		c.Ports = append(c.Ports, convergence.ContainerPort{IP: p.HostIP, PrivatePort: uint16(p.ContainerPort), PublicPort: uint16(host), Type: p.Protocol})
	}
	if spec.PrimaryNetwork != "" {
		// As the engine: a missing network fails the start, not the create.
		c.Networks[spec.PrimaryNetwork] = ""
		if n, ok := e.networks[spec.PrimaryNetwork]; ok {
			c.Networks[n.Name] = n.ID
		}
	}
	for _, ne := range spec.Networks {
		n, ok := e.networks[ne.Network]
		if !ok {
			return "", fmt.Errorf("network %q: %w", ne.Network, convergence.ErrNotFound)
		}
		c.Networks[n.Name] = n.ID
	}
	for _, m := range spec.Spec.Mounts {
		if m.Type != project.MountVolume {
			continue
		}
		name := m.Source
		if name == "" {
			name = e.nextID() // anonymous: a fresh 64-hex name, as the engine does
		}
		c.Mounts = append(c.Mounts, convergence.ContainerMount{Type: project.MountVolume, Name: name, Destination: m.Target})
	}
	e.containers[c.ID] = c
	return c.ID, nil
}

func (e *Engine) container(id string) (*convergence.Container, error) {
	c, ok := e.containers[id]
	if !ok {
		return nil, fmt.Errorf("container %s: %w", id, convergence.ErrNotFound)
	}
	return c, nil
}

// StartContainer implements convergence.Engine.
func (e *Engine) StartContainer(_ context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return err
	}
	if err := e.record("start container %s", c.Name); err != nil {
		return err
	}
	if c.State == "running" {
		return nil
	}
	for name := range c.Networks {
		n, ok := e.networks[name]
		if !ok {
			// The engine's 404 here is about the network, not the container.
			return fmt.Errorf("start container %q: network %s not found", c.Name, name)
		}
		c.Networks[name] = n.ID
	}
	for _, p := range c.Ports {
		for _, other := range e.containers {
			if other.ID == c.ID || other.State != "running" {
				continue
			}
			for _, op := range other.Ports {
				if p.PublicPort != 0 && op.PublicPort == p.PublicPort && op.Type == p.Type {
					return fmt.Errorf("start container %q: %w", c.Name,
						&convergence.PortAllocatedError{HostPort: strconv.Itoa(int(p.PublicPort))})
				}
			}
		}
	}
	c.State = "running"
	return nil
}

// StopContainer implements convergence.Engine.
func (e *Engine) StopContainer(_ context.Context, id string, _ *time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return err
	}
	if err := e.record("stop container %s", c.Name); err != nil {
		return err
	}
	if c.State == "running" {
		c.State = "exited"
	}
	return nil
}

// RemoveContainer implements convergence.Engine.
func (e *Engine) RemoveContainer(_ context.Context, id string, removeVolumes bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return err
	}
	if err := e.record("remove container %s", c.Name); err != nil {
		return err
	}
	delete(e.containers, id)
	return nil
}

// RenameContainer implements convergence.Engine.
func (e *Engine) RenameContainer(_ context.Context, id, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return err
	}
	if err := e.record("rename container %s to %s", c.Name, name); err != nil {
		return err
	}
	for _, other := range e.containers {
		if other.Name == name {
			return fmt.Errorf("container name %q: %w", name, convergence.ErrConflict)
		}
	}
	c.Name = name
	return nil
}

// ConnectNetwork implements convergence.Engine.
func (e *Engine) ConnectNetwork(_ context.Context, network, id string, _ convergence.Endpoint) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return err
	}
	if err := e.record("connect container %s to %s", c.Name, network); err != nil {
		return err
	}
	if !hasEndpoints(c.State) {
		// As the engine: a created container's networks are configuration
		// only, checked when it starts.
		id := ""
		if n, ok := e.networks[network]; ok {
			id = n.ID
		}
		c.Networks[network] = id
		return nil
	}
	n, ok := e.networks[network]
	if !ok {
		return fmt.Errorf("network %q: %w", network, convergence.ErrNotFound)
	}
	if _, on := c.Networks[network]; on {
		return fmt.Errorf("connect container %q to network %q: %w", c.Name, network, convergence.ErrConflict)
	}
	c.Networks[network] = n.ID
	return nil
}

// DisconnectNetwork implements convergence.Engine.
func (e *Engine) DisconnectNetwork(_ context.Context, network, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return err
	}
	name := network
	for _, n := range e.networks {
		if n.ID == network {
			name = n.Name
		}
	}
	if err := e.record("disconnect container %s from %s", c.Name, name); err != nil {
		return err
	}
	delete(c.Networks, name)
	return nil
}

// RemoveImage implements convergence.Engine.
func (e *Engine) RemoveImage(_ context.Context, ref string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("remove image %s", ref); err != nil {
		return err
	}
	if _, ok := e.images[ref]; !ok {
		return fmt.Errorf("remove image %q: %w", ref, convergence.ErrNotFound)
	}
	delete(e.images, ref)
	return nil
}

// Kill marks a container exited, as `docker kill` behind our back would.
func (e *Engine) Kill(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.containers {
		if c.Name == name {
			c.State = "exited"
		}
	}
}

// SetState sets a container's state, health and exit code, as the engine
// would report them (a one-shot exiting, a healthcheck passing).
func (e *Engine) SetState(name, state, health string, exitCode int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.containers {
		if c.Name == name {
			c.State, c.Health, c.ExitCode = state, health, exitCode
		}
	}
}

// Names returns the names and states of all containers, sorted: "name state".
func (e *Engine) Names() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, c := range e.containers {
		out = append(out, c.Name+" "+c.State)
	}
	sort.Strings(out)
	return out
}
