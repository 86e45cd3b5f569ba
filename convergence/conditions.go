package convergence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mycompose/mycompose/project"
)

// conditionPoll is how often the state of a dependency is read while a
// dependent waits for it to be healthy or to complete.
const conditionPoll = 250 * time.Millisecond

// conditionWaits shares one wait per dependency service among all the
// replicas that wait for it.
type conditionWaits struct {
	mu    sync.Mutex
	waits map[string]*conditionWait
}

type conditionWait struct {
	done chan struct{}
	err  error
}

// waitConditions blocks until every depends_on condition of a holds.
func (r *applyRun) waitConditions(a *Action) error {
	for _, d := range a.Conditions {
		if err := r.waitCondition(d); err != nil {
			if !d.Required {
				// depends_on required: false: Docker Compose warns and
				// starts the dependent anyway.
				r.emit(ObjectContainer, a.Name, StatusWarning, fmt.Sprintf("optional dependency %q: %v; starting anyway", d.Service, err))
				continue
			}
			return fmt.Errorf("container %q: %w", a.Name, err)
		}
	}
	return nil
}

func (r *applyRun) waitCondition(d project.Dependency) error {
	key := d.Service + "/" + d.Condition
	r.conds.mu.Lock()
	if r.conds.waits == nil {
		r.conds.waits = map[string]*conditionWait{}
	}
	w, ok := r.conds.waits[key]
	if !ok {
		w = &conditionWait{done: make(chan struct{})}
		r.conds.waits[key] = w
		r.conds.mu.Unlock()
		// The UI names containers, not services: the wait is announced on
		// each replica of the dependency once the first poll has seen them.
		var names []string
		w.err = r.pollCondition(d, func(reps []string) {
			names = reps
			for _, n := range names {
				r.emit(ObjectContainer, n, StatusWaiting, conditionWord(d.Condition))
			}
		})
		if w.err == nil {
			for _, n := range names {
				r.emit(ObjectContainer, n, conditionDone(d.Condition), "")
			}
		}
		close(w.done)
		return w.err
	}
	r.conds.mu.Unlock()
	<-w.done
	return w.err
}

func conditionWord(c string) string {
	if c == project.ConditionCompleted {
		return "for completion"
	}
	return "for healthy"
}

func conditionDone(c string) string {
	if c == project.ConditionCompleted {
		return StatusExited
	}
	return StatusHealthy
}

// pollCondition reads the dependency's replicas until the condition holds,
// fails, or the run is cancelled. seen receives the names of the
// dependency's replicas, sorted, after the first observation.
func (r *applyRun) pollCondition(d project.Dependency, seen func([]string)) error {
	for first := true; ; first = false {
		var cs []Container
		err := r.call(func(ctx context.Context) error {
			var err error
			cs, err = r.x.Engine.ListContainers(ctx, r.plan.Project)
			return err
		})
		if err != nil {
			return err
		}
		if first {
			seen(replicaNames(d.Service, cs))
		}
		done, failed, err := r.checkCondition(d, cs)
		if err != nil || done {
			return err
		}
		if failed != nil {
			return r.describeFailure(d, *failed)
		}
		select {
		case <-r.ctx.Done():
			return errSkipped
		case <-time.After(conditionPoll):
		}
	}
}

// replicaNames returns the sorted names of the service's replicas in cs.
func replicaNames(service string, cs []Container) []string {
	var names []string
	for _, c := range cs {
		if c.Service == service && !c.OneOff {
			names = append(names, c.Name)
		}
	}
	sort.Strings(names)
	return names
}

// checkCondition decides from one observation: done, a failed replica, or
// keep waiting.
func (r *applyRun) checkCondition(d project.Dependency, cs []Container) (bool, *Container, error) {
	var reps []Container
	for _, c := range cs {
		if c.Service == d.Service && !c.OneOff {
			reps = append(reps, c)
		}
	}
	if len(reps) == 0 {
		return false, nil, fmt.Errorf("dependency %q has no container", d.Service)
	}
	done := true
	for i := range reps {
		c := &reps[i]
		switch d.Condition {
		case project.ConditionHealthy:
			switch {
			case c.Health == "unhealthy", c.State == "exited" || c.State == "dead":
				return false, c, nil
			case c.State == "running" && c.Health == "":
				return false, nil, fmt.Errorf("dependency %q (container %s) has no healthcheck configured, so it can never be healthy: add a healthcheck or use condition: service_started", d.Service, c.Name)
			case c.Health != "healthy":
				done = false
			}
		case project.ConditionCompleted:
			switch {
			case (c.State == "exited" || c.State == "dead") && c.ExitCode != 0:
				return false, c, nil
			case c.State != "exited":
				done = false
			}
		}
	}
	return done, nil, nil
}

// describeFailure explains a failed dependency, with the last health-probe
// output for an unhealthy one.
func (r *applyRun) describeFailure(d project.Dependency, c Container) error {
	if d.Condition == project.ConditionCompleted {
		return fmt.Errorf("dependency %q did not complete successfully: container %s exited with code %d", d.Service, c.Name, c.ExitCode)
	}
	var full Container
	err := r.call(func(ctx context.Context) error {
		var err error
		full, err = r.x.Engine.InspectContainer(ctx, c.ID)
		return err
	})
	if err == nil && full.State == "exited" {
		return fmt.Errorf("dependency %q failed to start: container %s exited with code %d before it was healthy", d.Service, c.Name, full.ExitCode)
	}
	msg := fmt.Sprintf("dependency %q failed to start: container %s is unhealthy", d.Service, c.Name)
	if err == nil && full.HealthLog != "" {
		msg += "; last health check output: " + full.HealthLog
	}
	return fmt.Errorf("%s", msg)
}

// WaitReady waits until every replica of the given services (nil: all the
// project's) is running, and healthy when it has a healthcheck, or has
// exited 0 (a one-shot service that is done). An unhealthy replica or a
// non-zero exit fails with the reason; ctx bounds the wait.
func WaitReady(ctx context.Context, eng Engine, projectName string, services []string) error {
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	for {
		cs, err := eng.ListContainers(ctx, projectName)
		if err != nil {
			return err
		}
		ready := true
		var failed []error
		for _, c := range cs {
			if c.OneOff || (services != nil && !want[c.Service]) {
				continue
			}
			ok, err := replicaReady(ctx, eng, c)
			if err != nil {
				failed = append(failed, err)
			}
			ready = ready && ok
		}
		// Every failing replica is named, each with its last logs.
		if len(failed) > 0 {
			return errors.Join(failed...)
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.Canceled {
				return ctx.Err()
			}
			return fmt.Errorf("services are not ready: %w", notReady(cs, want, services == nil))
		case <-time.After(conditionPoll):
		}
	}
}

// replicaReady decides one replica for WaitReady, explaining a failure.
func replicaReady(ctx context.Context, eng Engine, c Container) (bool, error) {
	ready, failed := readiness(c)
	if !failed {
		return ready, nil
	}
	if c.Health == "unhealthy" {
		msg := fmt.Sprintf("container %s is unhealthy", c.Name)
		if full, err := eng.InspectContainer(ctx, c.ID); err == nil && full.HealthLog != "" {
			msg += "; last health check output: " + full.HealthLog
		}
		return false, fmt.Errorf("%s", msg)
	}
	return false, fmt.Errorf("container %s exited with code %d%s", c.Name, c.ExitCode, lastLogs(ctx, eng, c.ID))
}

// lastLogLines is how many lines of a failed replica's logs --wait shows.
const lastLogLines = 5

// lastLogs is "; last logs: ..." with the last lines of a container's
// output, or "" when the engine cannot serve logs.
func lastLogs(ctx context.Context, eng Engine, id string) string {
	logs, ok := eng.(interface {
		ContainerLogs(ctx context.Context, id string, opts LogOptions, stdout, stderr io.Writer) error
	})
	if !ok {
		return ""
	}
	var out bytes.Buffer
	if err := logs.ContainerLogs(ctx, id, LogOptions{Tail: strconv.Itoa(lastLogLines)}, &out, &out); err != nil || out.Len() == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	return "; last logs:\n    " + strings.Join(lines, "\n    ")
}

// readiness is the pure part of replicaReady.
func readiness(c Container) (ready, failed bool) {
	switch {
	case c.State == "exited" || c.State == "dead":
		return c.ExitCode == 0, c.ExitCode != 0
	case c.Health == "unhealthy":
		return false, true
	case c.State != "running":
		return false, false
	}
	return c.Health == "" || c.Health == "healthy", false
}

// notReady names the replicas still not ready when the wait times out.
func notReady(cs []Container, want map[string]bool, all bool) error {
	var names []string
	for _, c := range cs {
		if c.OneOff || (!all && !want[c.Service]) {
			continue
		}
		if ready, _ := readiness(c); !ready {
			state := c.State
			if c.Health != "" {
				state += ", " + c.Health
			}
			names = append(names, c.Name+" ("+state+")")
		}
	}
	sort.Strings(names)
	return fmt.Errorf("timed out waiting for %s", strings.Join(names, ", "))
}
