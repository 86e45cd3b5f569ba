package dockerengine

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

var _ convergence.Runtime = (*Engine)(nil)

// ListAllContainers lists the containers of every compose project in one
// call filtered on the project label key.
func (e *Engine) ListAllContainers(ctx context.Context, all bool) ([]convergence.Container, error) {
	e.settleStops(ctx)
	list, err := e.cli.ContainerList(ctx, container.ListOptions{All: all,
		Filters: filters.NewArgs(filters.Arg("label", project.LabelProject))})
	if err != nil {
		return nil, e.fail(err, "list containers of all projects", callOther)
	}
	out := make([]convergence.Container, 0, len(list))
	for _, c := range list {
		out = append(out, decodeContainer(c))
	}
	return out, nil
}

// ContainerState inspects a container's runtime state.
func (e *Engine) ContainerState(ctx context.Context, id string) (convergence.ContainerDetails, error) {
	c, err := e.cli.ContainerInspect(ctx, id)
	if err != nil {
		return convergence.ContainerDetails{}, e.fail(err, fmt.Sprintf("inspect container %q", id), callOther)
	}
	out := convergence.ContainerDetails{ID: c.ID, Name: trimSlash(c.Name), Image: c.Image}
	if c.Config != nil {
		out.Labels = c.Config.Labels
		out.Replica = project.ParseReplicaLabels(out.Labels)
		out.Tty = c.Config.Tty
	}
	if s := c.State; s != nil {
		out.Status = string(s.Status)
		out.Running, out.Paused, out.Restarting = s.Running, s.Paused, s.Restarting
		out.ExitCode = s.ExitCode
		out.StartedAt = parseTime(s.StartedAt)
		out.FinishedAt = parseTime(s.FinishedAt)
	}
	return out, nil
}

func trimSlash(name string) string {
	if len(name) > 0 && name[0] == '/' {
		return name[1:]
	}
	return name
}

// parseTime reads the engine's RFC 3339 times; the engine's zero time
// ("0001-01-01T00:00:00Z") and garbage both read as the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// KillContainer sends a signal to the container's main process.
func (e *Engine) KillContainer(ctx context.Context, id, signal string) error {
	return e.fail(e.cli.ContainerKill(ctx, id, signal), fmt.Sprintf("kill container %q", id), callSignal)
}

// PauseContainer freezes a container.
func (e *Engine) PauseContainer(ctx context.Context, id string) error {
	return e.fail(e.cli.ContainerPause(ctx, id), fmt.Sprintf("pause container %q", id), callSignal)
}

// UnpauseContainer thaws a container.
func (e *Engine) UnpauseContainer(ctx context.Context, id string) error {
	return e.fail(e.cli.ContainerUnpause(ctx, id), fmt.Sprintf("unpause container %q", id), callSignal)
}

// WaitContainer registers a wait; the SDK returns once the engine has
// answered the request's headers, which is when the wait is registered.
func (e *Engine) WaitContainer(ctx context.Context, id string, cond convergence.WaitCondition) <-chan convergence.WaitResult {
	out := make(chan convergence.WaitResult, 1)
	resC, errC := e.cli.ContainerWait(ctx, id, container.WaitCondition(cond))
	go func() {
		select {
		case res := <-resC:
			r := convergence.WaitResult{Code: int(res.StatusCode)}
			if res.Error != nil && res.Error.Message != "" {
				r.Err = fmt.Errorf("wait for container %q: %s", id, res.Error.Message)
			}
			out <- r
		case err := <-errC:
			out <- convergence.WaitResult{Err: e.fail(err, fmt.Sprintf("wait for container %q", id), callOther)}
		}
	}()
	return out
}

// TopContainer lists the processes of a running container.
func (e *Engine) TopContainer(ctx context.Context, id string, psArgs []string) (convergence.Processes, error) {
	top, err := e.cli.ContainerTop(ctx, id, psArgs)
	if err != nil {
		return convergence.Processes{}, e.fail(err, fmt.Sprintf("list processes of container %q", id), callOther)
	}
	return convergence.Processes{Titles: top.Titles, Rows: top.Processes}, nil
}

// Events streams the container events of a project. It returns once the
// engine has accepted the subscription, so nothing after it is missed.
func (e *Engine) Events(ctx context.Context, projectName string) (<-chan convergence.ContainerEvent, <-chan error) {
	msgs, errs := e.cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", project.LabelProject+"="+projectName),
	)})
	out := make(chan convergence.ContainerEvent)
	outErr := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			select {
			case m := <-msgs:
				ev := convergence.ContainerEvent{Time: time.Unix(0, m.TimeNano), Action: string(m.Action),
					ID: m.Actor.ID, Attributes: m.Actor.Attributes, Replica: project.ParseReplicaLabels(m.Actor.Attributes)}
				select {
				case out <- ev:
				case <-ctx.Done():
					outErr <- ctx.Err()
					return
				}
			case err := <-errs:
				if err != nil && ctx.Err() == nil {
					err = e.fail(err, fmt.Sprintf("events of project %q", projectName), callOther)
				}
				outErr <- err
				return
			}
		}
	}()
	return out, outErr
}

// InspectImage describes a local image.
func (e *Engine) InspectImage(ctx context.Context, ref string) (convergence.ImageInfo, error) {
	img, err := e.cli.ImageInspect(ctx, ref)
	if err != nil {
		return convergence.ImageInfo{}, e.fail(err, fmt.Sprintf("inspect image %q", ref), callOther)
	}
	return convergence.ImageInfo{ID: img.ID, RepoTags: img.RepoTags, Size: img.Size, Created: parseTime(img.Created)}, nil
}
