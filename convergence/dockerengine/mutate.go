package dockerengine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/mycompose/mycompose/convergence"
)

// CreateNetwork creates a network and returns its ID. API 1.41 engines accept
// two networks with the same name, so an existing network of that exact name
// is reported as convergence.ErrConflict first. List-then-create narrows the
// race between concurrent `up`s but does not close it; the caller re-observes.
func (e *Engine) CreateNetwork(ctx context.Context, spec convergence.NetworkSpec) (string, error) {
	op := fmt.Sprintf("create network %q", spec.Name)
	// The name filter matches substrings, hence the exact comparison.
	list, err := e.cli.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", spec.Name))})
	if err != nil {
		return "", e.fail(err, op, callOther)
	}
	for _, n := range list {
		if n.Name == spec.Name {
			return "", fmt.Errorf("%s: %w: network %s has the same name", op, convergence.ErrConflict, n.ID)
		}
	}
	opts := network.CreateOptions{
		Driver:     spec.Driver,
		Options:    spec.DriverOpts,
		Labels:     spec.Labels,
		Internal:   spec.Internal,
		Attachable: spec.Attachable,
		IPAM:       mapIPAM(spec),
	}
	if spec.EnableIPv6 {
		enable := true
		opts.EnableIPv6 = &enable
	}
	// API 1.48: the loader marks enable_ipv4: false, CheckAPI refuses it before.
	opts.EnableIPv4 = spec.EnableIPv4
	resp, err := e.cli.NetworkCreate(ctx, spec.Name, opts)
	if err != nil {
		return "", e.fail(err, op, callCreate)
	}
	return resp.ID, nil
}

// mapIPAM converts the network's address management, nil when unset.
func mapIPAM(spec convergence.NetworkSpec) *network.IPAM {
	in := spec.IPAM
	if in.Driver == "" && len(in.Configs) == 0 && len(in.Options) == 0 {
		return nil
	}
	out := &network.IPAM{Driver: in.Driver, Options: in.Options}
	for _, c := range in.Configs {
		out.Config = append(out.Config, network.IPAMConfig{
			Subnet:     c.Subnet,
			IPRange:    c.IPRange,
			Gateway:    c.Gateway,
			AuxAddress: c.AuxAddress,
		})
	}
	return out
}

// RemoveNetwork removes a network by name or ID.
func (e *Engine) RemoveNetwork(ctx context.Context, id string) error {
	return e.fail(e.cli.NetworkRemove(ctx, id), fmt.Sprintf("remove network %q", id), callRemoveNetwork)
}

// CreateVolume creates a named volume. The engine's create is idempotent and
// returns an existing volume as is, so an existing volume whose labels differ
// from the spec's is reported as convergence.ErrConflict.
func (e *Engine) CreateVolume(ctx context.Context, spec convergence.VolumeSpec) error {
	op := fmt.Sprintf("create volume %q", spec.Name)
	v, err := e.cli.VolumeCreate(ctx, volume.CreateOptions{
		Name:       spec.Name,
		Driver:     spec.Driver,
		DriverOpts: spec.DriverOpts,
		Labels:     spec.Labels,
	})
	if err != nil {
		return e.fail(err, op, callCreate)
	}
	if !maps.Equal(v.Labels, spec.Labels) { // nil and empty compare equal
		return fmt.Errorf("%s: %w: a volume with other labels has that name", op, convergence.ErrConflict)
	}
	return nil
}

// RemoveVolume removes a named volume; a volume in use is an error.
func (e *Engine) RemoveVolume(ctx context.Context, name string) error {
	return e.fail(e.cli.VolumeRemove(ctx, name, false), fmt.Sprintf("remove volume %q", name), callRemoveVolume)
}

// CreateContainer creates a container and returns its ID.
func (e *Engine) CreateContainer(ctx context.Context, spec convergence.CreateSpec) (string, error) {
	op := fmt.Sprintf("create container %q", spec.Name)
	spec, dir, err := e.withFiles(spec)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	req, err := mapCreateSpec(spec)
	if err != nil {
		e.created("", dir, err)
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if o := spec.OneOff; o != nil {
		// `run` attaches before it starts; when interactive, the engine
		// closes the container's stdin once the client's input ends
		// (StdinOnce), which is what makes `echo x | run svc cat` end.
		req.config.AttachStdout, req.config.AttachStderr = true, true
		if o.Interactive {
			req.config.AttachStdin, req.config.OpenStdin, req.config.StdinOnce = true, true, true
		}
		req.host.AutoRemove = o.AutoRemove
	}
	resp, err := e.cli.ContainerCreate(ctx, req.config, req.host, req.network, parsePlatform(spec.Spec.Platform), spec.Name)
	e.created(resp.ID, dir, err)
	if err = e.fail(err, op, callCreateContainer); errors.Is(err, convergence.ErrImageNotFound) {
		return "", fmt.Errorf("%s: image %q is not present on the engine: pull it (mycompose pull) and run again%.0w", op, spec.Spec.Image, err)
	}
	if err != nil {
		return "", err
	}
	return resp.ID, nil
}

// StartContainer starts a container; a port taken concurrently is reported
// as convergence.ErrPortAllocated, and only a missing container as ErrNotFound.
func (e *Engine) StartContainer(ctx context.Context, id string) error {
	op := fmt.Sprintf("start container %q", id)
	return e.fail(e.cli.ContainerStart(ctx, id, container.StartOptions{}), op, callStart)
}

// StopContainer stops a container; the timeout is truncated to whole seconds
// and nil leaves it to the container's own stop timeout.
func (e *Engine) StopContainer(ctx context.Context, id string, timeout *time.Duration) error {
	var opts container.StopOptions
	if timeout != nil {
		secs := int(timeout.Seconds())
		opts.Timeout = &secs
	}
	if err := e.fail(e.cli.ContainerStop(ctx, id, opts), fmt.Sprintf("stop container %q", id), callOther); err != nil {
		return err
	}
	e.lag.add(id)
	return nil
}

// RemoveContainer force-removes a container, optionally with its anonymous volumes.
func (e *Engine) RemoveContainer(ctx context.Context, id string, removeVolumes bool) error {
	opts := container.RemoveOptions{Force: true, RemoveVolumes: removeVolumes}
	err := e.fail(e.cli.ContainerRemove(ctx, id, opts), fmt.Sprintf("remove container %q", id), callOther)
	if err == nil || errors.Is(err, convergence.ErrNotFound) {
		e.removed(id)
		e.lag.drop(id)
	}
	return err
}

// RenameContainer renames a container; a name in use is convergence.ErrConflict.
func (e *Engine) RenameContainer(ctx context.Context, id, name string) error {
	return e.fail(e.cli.ContainerRename(ctx, id, name), fmt.Sprintf("rename container %q to %q", id, name), callCreate)
}

// ConnectNetwork attaches a container to a further network. For a created
// container the engine accepts a missing network and fails the start instead.
func (e *Engine) ConnectNetwork(ctx context.Context, networkName, containerID string, ep convergence.Endpoint) error {
	err := e.cli.NetworkConnect(ctx, networkName, containerID, endpointSettings(ep))
	return e.fail(err, fmt.Sprintf("connect container %q to network %q", containerID, networkName), callConnect)
}

// DisconnectNetwork detaches a container from a network, forcibly.
func (e *Engine) DisconnectNetwork(ctx context.Context, networkName, containerID string) error {
	err := e.cli.NetworkDisconnect(ctx, networkName, containerID, true)
	return e.fail(err, fmt.Sprintf("disconnect container %q from network %q", containerID, networkName), callOther)
}

// RemoveImage removes an image without force, pruning untagged parents.
func (e *Engine) RemoveImage(ctx context.Context, ref string) error {
	_, err := e.cli.ImageRemove(ctx, ref, image.RemoveOptions{Force: false, PruneChildren: true})
	return e.fail(err, fmt.Sprintf("remove image %q", ref), callOther)
}
