package convergence

import (
	"context"
	"fmt"
)

// recreateNetwork replaces a network whose configuration changed without
// losing its containers: stop them, disconnect them, remove the network,
// create it anew, reconnect them with their endpoints, and start again those
// that were running. Docker Compose does the same; the containers keep
// their IDs, names and data.
func (r *applyRun) recreateNetwork(a *Action) error {
	r.emit(ObjectNetwork, a.Name, StatusRecreate, a.Reason)
	for _, c := range a.Attached {
		if c.Running {
			err := r.call(func(ctx context.Context) error { return r.x.Engine.StopContainer(ctx, c.ID, a.Timeout) })
			if err != nil && !IsNotFound(err) {
				return fmt.Errorf("recreate network %q: stop container %q: %w", a.Name, c.Name, err)
			}
		}
		err := r.call(func(ctx context.Context) error { return r.x.Engine.DisconnectNetwork(ctx, a.NetworkID, c.ID) })
		if err != nil && !IsNotFound(err) {
			return fmt.Errorf("recreate network %q: disconnect container %q: %w", a.Name, c.Name, err)
		}
	}
	err := r.call(func(ctx context.Context) error { return r.x.Engine.RemoveNetwork(ctx, a.NetworkID) })
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("recreate network %q: remove: %w", a.Name, err)
	}
	err = r.call(func(ctx context.Context) error {
		_, err := r.x.Engine.CreateNetwork(ctx, *a.NetworkSpec)
		return err
	})
	if err != nil {
		return fmt.Errorf("recreate network %q: create: %w", a.Name, err)
	}
	if err := r.dedupeNetwork(a); err != nil {
		return err
	}
	for _, c := range a.Attached {
		err := r.call(func(ctx context.Context) error { return r.x.Engine.ConnectNetwork(ctx, a.Name, c.ID, c.Endpoint) })
		if err != nil {
			return fmt.Errorf("recreate network %q: reconnect container %q: %w", a.Name, c.Name, err)
		}
	}
	for _, c := range a.Attached {
		if !c.Running {
			continue
		}
		err := r.call(func(ctx context.Context) error { return r.x.Engine.StartContainer(ctx, c.ID) })
		if err != nil {
			return fmt.Errorf("recreate network %q: restart container %q: %w", a.Name, c.Name, err)
		}
	}
	r.emit(ObjectNetwork, a.Name, StatusRecreated, "")
	return nil
}
