package dockerengine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// imageInspectParallelism bounds the concurrent ImageInspect calls of ImageIDs.
const imageInspectParallelism = 8

// projectFilter selects the objects carrying the project label.
func projectFilter(projectName string) filters.Args {
	return filters.NewArgs(filters.Arg("label", project.LabelProject+"="+projectName))
}

// ListContainers returns the project's containers, all states, in one call.
func (e *Engine) ListContainers(ctx context.Context, projectName string) ([]convergence.Container, error) {
	e.settleStops(ctx)
	list, err := e.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: projectFilter(projectName)})
	if err != nil {
		return nil, e.fail(err, fmt.Sprintf("list containers of project %q", projectName), callOther)
	}
	out := make([]convergence.Container, 0, len(list))
	for _, c := range list {
		out = append(out, decodeContainer(c))
	}
	e.learnFiles(projectName, out)
	return out, nil
}

// decodeContainer converts a container list entry.
func decodeContainer(c container.Summary) convergence.Container {
	out := convergence.Container{
		ID:      c.ID,
		Name:    containerName(c.Names),
		Image:   c.Image,
		ImageID: c.ImageID,
		State:   string(c.State),
		Status:  c.Status,
		Created: time.Unix(c.Created, 0),
		Labels:  c.Labels,
		Command: c.Command,
	}
	out.Health, out.ExitCode = parseStatus(c.Status)
	out.DecodeLabels()
	for _, m := range c.Mounts {
		out.Mounts = append(out.Mounts, convergence.ContainerMount{
			Type:        string(m.Type),
			Name:        m.Name,
			Source:      m.Source,
			Destination: m.Destination,
			ReadOnly:    !m.RW,
		})
	}
	if c.NetworkSettings != nil {
		out.Networks = make(map[string]string, len(c.NetworkSettings.Networks))
		for name, ep := range c.NetworkSettings.Networks {
			id := ""
			if ep != nil {
				id = ep.NetworkID
			}
			out.Networks[name] = id
		}
	}
	for _, p := range c.Ports {
		out.Ports = append(out.Ports, convergence.ContainerPort{
			IP:          p.IP,
			PrivatePort: p.PrivatePort,
			PublicPort:  p.PublicPort,
			Type:        p.Type,
		})
	}
	return out
}

// containerName picks the container's own name from the list entry's names:
// legacy links add names of the form "/other/alias".
func containerName(names []string) string {
	for _, n := range names {
		n = strings.TrimPrefix(n, "/")
		if !strings.Contains(n, "/") {
			return n
		}
	}
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return ""
}

// ListNetworks returns the project's networks in one call. The engine's list
// does not report attached containers, so Containers is empty here; use
// InspectNetwork when they matter.
func (e *Engine) ListNetworks(ctx context.Context, projectName string) ([]convergence.Network, error) {
	list, err := e.cli.NetworkList(ctx, network.ListOptions{Filters: projectFilter(projectName)})
	if err != nil {
		return nil, e.fail(err, fmt.Sprintf("list networks of project %q", projectName), callOther)
	}
	out := make([]convergence.Network, 0, len(list))
	for _, n := range list {
		out = append(out, decodeNetwork(n))
	}
	return out, nil
}

// decodeNetwork converts a network list or inspect entry.
func decodeNetwork(n network.Inspect) convergence.Network {
	out := convergence.Network{ID: n.ID, Name: n.Name, Driver: n.Driver, Labels: n.Labels}
	out.DecodeLabels()
	for id := range n.Containers {
		out.Containers = append(out.Containers, id)
	}
	sort.Strings(out.Containers)
	return out
}

// ListVolumes returns the project's volumes in one call.
func (e *Engine) ListVolumes(ctx context.Context, projectName string) ([]convergence.Volume, error) {
	resp, err := e.cli.VolumeList(ctx, volume.ListOptions{Filters: projectFilter(projectName)})
	if err != nil {
		return nil, e.fail(err, fmt.Sprintf("list volumes of project %q", projectName), callOther)
	}
	out := make([]convergence.Volume, 0, len(resp.Volumes))
	for _, v := range resp.Volumes {
		if v != nil {
			out = append(out, decodeVolume(*v))
		}
	}
	return out, nil
}

// decodeVolume converts a volume list or inspect entry.
func decodeVolume(v volume.Volume) convergence.Volume {
	out := convergence.Volume{Name: v.Name, Driver: v.Driver, Labels: v.Labels}
	out.DecodeLabels()
	return out
}

// ImageIDs resolves references to local image IDs with one concurrent
// inspect per unique reference; missing images are absent from the map.
func (e *Engine) ImageIDs(ctx context.Context, refs []string) (map[string]string, error) {
	unique := make([]string, 0, len(refs))
	seen := make(map[string]bool, len(refs))
	for _, r := range refs {
		if r != "" && !seen[r] {
			seen[r] = true
			unique = append(unique, r)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		ids      = make(map[string]string, len(unique))
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, imageInspectParallelism)
	)
	for _, ref := range unique {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				return
			}
			img, err := e.cli.ImageInspect(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ids[ref] = img.ID
			case cerrdefs.IsNotFound(err):
			case firstErr == nil:
				firstErr = e.fail(err, fmt.Sprintf("inspect image %q", ref), callOther)
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("inspect images: %w", err)
	}
	return ids, nil
}

// InspectNetwork returns the network with the given name or ID.
func (e *Engine) InspectNetwork(ctx context.Context, name string) (convergence.Network, error) {
	n, err := e.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return convergence.Network{}, e.fail(err, fmt.Sprintf("inspect network %q", name), callOther)
	}
	return decodeNetwork(n), nil
}

// InspectVolume returns the volume with the given name.
func (e *Engine) InspectVolume(ctx context.Context, name string) (convergence.Volume, error) {
	v, err := e.cli.VolumeInspect(ctx, name)
	if err != nil {
		return convergence.Volume{}, e.fail(err, fmt.Sprintf("inspect volume %q", name), callOther)
	}
	return decodeVolume(v), nil
}

// InspectContainer returns the container with the given name or ID.
func (e *Engine) InspectContainer(ctx context.Context, nameOrID string) (convergence.Container, error) {
	c, err := e.cli.ContainerInspect(ctx, nameOrID)
	if err != nil {
		return convergence.Container{}, e.fail(err, fmt.Sprintf("inspect container %q", nameOrID), callOther)
	}
	out := convergence.Container{ID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), ImageID: c.Image}
	if c.Config != nil {
		out.Image = c.Config.Image
		out.Labels = c.Config.Labels
		out.DecodeLabels()
	}
	if c.State != nil {
		out.State = string(c.State.Status)
		out.ExitCode = c.State.ExitCode
		if h := c.State.Health; h != nil {
			out.Health = string(h.Status)
			if n := len(h.Log); n > 0 && h.Log[n-1] != nil {
				out.HealthLog = strings.TrimSpace(h.Log[n-1].Output)
			}
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, c.Created); err == nil {
		out.Created = t
	}
	for _, m := range c.Mounts {
		out.Mounts = append(out.Mounts, convergence.ContainerMount{
			Type: string(m.Type), Name: m.Name, Source: m.Source, Destination: m.Destination, ReadOnly: !m.RW,
		})
	}
	if c.NetworkSettings != nil {
		out.Networks = make(map[string]string, len(c.NetworkSettings.Networks))
		for name, ep := range c.NetworkSettings.Networks {
			if ep != nil {
				out.Networks[name] = ep.NetworkID
			}
		}
	}
	return out, nil
}

// parseStatus reads health and exit code from a list entry's status text
// ("Up 3 seconds (healthy)", "Exited (3) 2 seconds ago"): API 1.41's list
// has no structured field for them, and an inspect per container would cost
// a call each.
func parseStatus(status string) (health string, exitCode int) {
	switch {
	case strings.Contains(status, "(healthy)"):
		health = "healthy"
	case strings.Contains(status, "(unhealthy)"):
		health = "unhealthy"
	case strings.Contains(status, "(health: starting)"):
		health = "starting"
	}
	if rest, ok := strings.CutPrefix(status, "Exited ("); ok {
		if i := strings.IndexByte(rest, ')'); i > 0 {
			fmt.Sscanf(rest[:i], "%d", &exitCode)
		}
	}
	return health, exitCode
}
