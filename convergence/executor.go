package convergence

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mycompose/mycompose/project"
)

// Event is a state change of one engine object, for the UI.
type Event struct {
	// Object is "Container", "Network", "Volume" or "Image".
	Object string
	Name   string
	// Status is a Docker Compose-style word: Creating, Created, Starting,
	// Started, Recreate, Recreated, Stopping, Stopped, Removing, Removed,
	// Renamed, Warning, Error.
	Status string
	Detail string
}

// DefaultParallel bounds the engine calls in flight. The engine on two cores
// saturates near this; more only queues inside the daemon.
const DefaultParallel = 16

// portRetries bounds start retries after the engine's port allocator races.
const portRetries = 8

// Executor applies plans. It decides nothing: the order and content come from
// the plan; it only runs actions as soon as their prerequisites are done.
type Executor struct {
	Engine Engine
	// Parallel bounds concurrent engine calls (DefaultParallel when 0).
	Parallel int
	// Events receives state changes; calls are serialized.
	Events func(Event)
	// Project and Hooks run the services' post_start hooks after a
	// replica starts and pre_stop hooks before it stops; nil: none.
	Project *project.Project
	Hooks   HookRunner

	mu sync.Mutex
	// created maps the names of the containers the last Apply created to
	// their IDs.
	created map[string]string
}

// CreatedID returns the ID of the container named name that the last Apply
// created, "" when none.
func (x *Executor) CreatedID(name string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.created[name]
}

func (x *Executor) recordCreated(name, id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.created == nil {
		x.created = map[string]string{}
	}
	x.created[name] = id
}

// Apply runs every action of the plan, each as soon as the actions it waits
// for have finished. An action whose prerequisite failed is skipped. When ctx
// is cancelled no new engine call starts, but calls in flight complete so
// that no object is left half-made. The first error is returned, with the
// others joined.
func (x *Executor) Apply(ctx context.Context, plan *Plan) error {
	n := len(plan.Actions)
	if n == 0 {
		return nil
	}
	parallel := x.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	run := &applyRun{
		created: map[string]string{},
		x:       x, plan: plan, ctx: ctx,
		calls: context.WithoutCancel(ctx),
		sem:   make(chan struct{}, parallel),
		done:  make([]chan struct{}, n),
		errs:  make([]error, n),
	}
	for i := range run.done {
		run.done[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for i := range plan.Actions {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer close(run.done[i])
			run.errs[i] = run.action(i)
		}(i)
	}
	wg.Wait()
	return run.result()
}

type applyRun struct {
	x     *Executor
	plan  *Plan
	ctx   context.Context // cancellation: stop scheduling
	calls context.Context // engine calls: never cut off half-way
	sem   chan struct{}
	done  []chan struct{}
	errs  []error

	mu      sync.Mutex        // serializes events and guards created
	created map[string]string // service -> ID of a container created for it
	conds   conditionWaits
	// preStarts runs each service's pre_start hooks once per Apply.
	preStarts preStartOnce
}

// errSkipped marks actions not run because a prerequisite failed or the run
// was cancelled; it is not reported on its own.
var errSkipped = errors.New("skipped")

func (r *applyRun) result() error {
	var errs []error
	for _, err := range r.errs {
		if err != nil && !errors.Is(err, errSkipped) {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		for _, err := range r.errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	if pe := r.partial(errs); pe != nil {
		return pe
	}
	return errors.Join(errs...)
}

// PartialError is Apply's error when some services failed and the others
// were converged: it names each failed service (and the services left
// unstarted because one they depend on failed), then each error on its own
// line. errors.Is and errors.As see every error.
type PartialError struct {
	// Failed are the services (or "volume X", "network X") that failed,
	// in plan order; Skipped those not started because a prerequisite
	// failed.
	Failed, Skipped []string
	Errs            []error
}

func (e *PartialError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "failed: %s", strings.Join(e.Failed, ", "))
	if len(e.Skipped) > 0 {
		fmt.Fprintf(&b, "; not started because what they depend on failed: %s", strings.Join(e.Skipped, ", "))
	}
	b.WriteString("; the rest is up")
	for _, err := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	return b.String()
}

func (e *PartialError) Unwrap() []error { return e.Errs }

// partial is the PartialError of a run whose failures left other services
// converged; nil when nothing else was done (one failure of a one-service
// project reads best alone) or the run was cancelled.
func (r *applyRun) partial(errs []error) error {
	if r.ctx.Err() != nil {
		return nil
	}
	var failed, skipped []string
	seen := map[string]bool{}
	okServices := map[string]bool{}
	for i, err := range r.errs {
		a := &r.plan.Actions[i]
		what := a.Service
		if what == "" {
			switch a.Kind {
			case CreateVolume, RecreateVolume:
				what = "volume " + a.Name
			case CreateNetwork, RecreateNetwork:
				what = "network " + a.Name
			}
		}
		switch {
		case what == "":
		case err == nil:
			if a.Service != "" {
				okServices[a.Service] = true
			}
		case errors.Is(err, errSkipped):
			if !seen["skip "+what] && a.Service != "" {
				seen["skip "+what] = true
				skipped = append(skipped, what)
			}
		case !seen[what]:
			seen[what] = true
			failed = append(failed, what)
		}
	}
	// A service is failed or skipped, never both; one that also had a
	// replica succeed still failed.
	kept := skipped[:0]
	for _, s := range skipped {
		if !seen[s] {
			kept = append(kept, s)
		}
	}
	skipped = kept
	anyOK := false
	for s := range okServices {
		if !seen[s] {
			anyOK = true
		}
	}
	if len(failed) == 0 || !anyOK {
		return nil
	}
	return &PartialError{Failed: failed, Skipped: skipped, Errs: errs}
}

// wait blocks until the given actions are done; it fails when one of them
// failed or the run is cancelled.
func (r *applyRun) wait(deps []int) error {
	for _, d := range deps {
		<-r.done[d]
		if r.errs[d] != nil {
			return errSkipped
		}
	}
	if r.ctx.Err() != nil {
		return errSkipped
	}
	return nil
}

// call runs one engine call under the concurrency bound.
func (r *applyRun) call(fn func(ctx context.Context) error) error {
	if r.ctx.Err() != nil {
		return errSkipped
	}
	r.sem <- struct{}{}
	defer func() { <-r.sem }()
	return fn(r.calls)
}

func (r *applyRun) emit(object, name, status, detail string) {
	if r.x.Events == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.x.Events(Event{Object: object, Name: name, Status: status, Detail: detail})
}

func (r *applyRun) action(i int) error {
	a := &r.plan.Actions[i]
	var err error
	switch a.Kind {
	case CreateNetwork:
		err = r.createNetwork(a)
	case RecreateNetwork:
		err = r.recreateNetwork(a)
	case CreateVolume:
		err = r.createVolume(a)
	case RecreateVolume:
		if err = r.wait(a.After); err == nil {
			if err = r.removeVolume(a); err == nil {
				err = r.createVolume(a)
			}
		}
	case CreateContainer, RecreateContainer:
		err = r.createContainer(a)
	case StartContainer:
		if err = r.wait(a.After); err == nil {
			err = r.start(a, a.ContainerID)
		}
	case RenameContainer:
		err = r.rename(a)
	case StopContainer:
		if err = r.wait(a.After); err == nil {
			err = r.stop(a)
		}
	case RestartContainer:
		if err = r.wait(a.After); err == nil {
			if err = r.stop(a); err == nil {
				err = r.start(a, a.ContainerID)
			}
		}
	case RemoveContainer:
		if err = r.wait(a.After); err == nil {
			err = r.removeContainer(a)
		}
	case RemoveNetwork:
		err = r.removeNetwork(a)
	case RemoveVolume:
		if err = r.wait(a.After); err == nil {
			err = r.removeVolume(a)
		}
	case RemoveImage:
		err = r.removeImage(a)
	case FailService:
		err = a.Err
	default:
		err = fmt.Errorf("unknown action kind %d", a.Kind)
	}
	if err != nil && !errors.Is(err, errSkipped) {
		object := ObjectContainer
		switch a.Kind {
		case CreateNetwork, RecreateNetwork, RemoveNetwork:
			object = ObjectNetwork
		case CreateVolume, RecreateVolume, RemoveVolume:
			object = ObjectVolume
		case RemoveImage:
			object = ObjectImage
		}
		r.emit(object, a.Name, StatusError, err.Error())
	}
	return err
}

func (r *applyRun) createNetwork(a *Action) error {
	r.emit(ObjectNetwork, a.Name, StatusCreating, "")
	err := r.call(func(ctx context.Context) error {
		_, err := r.x.Engine.CreateNetwork(ctx, *a.NetworkSpec)
		return err
	})
	if errors.Is(err, ErrConflict) {
		// Another run created it between our observation and now.
		err = nil
	}
	if err != nil {
		return fmt.Errorf("create network %q: %w", a.Name, err)
	}
	if err := r.dedupeNetwork(a); err != nil {
		return err
	}
	r.emit(ObjectNetwork, a.Name, StatusCreated, "")
	return nil
}

// dedupeNetwork removes extra networks of the same name. Engine API 1.41
// lets two networks share a name, and a create sent by a run that was killed
// can land after this run observed; containers then fail to start on an
// "ambiguous" network. Every run keeps the lowest ID, so racing runs agree.
func (r *applyRun) dedupeNetwork(a *Action) error {
	var nets []Network
	err := r.call(func(ctx context.Context) error {
		var err error
		nets, err = r.x.Engine.ListNetworks(ctx, r.plan.Project)
		return err
	})
	if err != nil {
		return fmt.Errorf("check network %q: %w", a.Name, err)
	}
	for _, extra := range duplicateNetworks(nets, a.Name) {
		err := r.call(func(ctx context.Context) error { return r.x.Engine.RemoveNetwork(ctx, extra) })
		if err != nil && !IsNotFound(err) {
			return fmt.Errorf("remove duplicate network %q (%s): %w", a.Name, shortID(extra), err)
		}
	}
	return nil
}

// duplicateNetworks returns the IDs of the networks named name other than
// the one with the lowest ID.
func duplicateNetworks(nets []Network, name string) []string {
	var ids []string
	for _, n := range nets {
		if n.Name == name {
			ids = append(ids, n.ID)
		}
	}
	if len(ids) < 2 {
		return nil
	}
	sort.Strings(ids)
	return ids[1:]
}

func (r *applyRun) createVolume(a *Action) error {
	r.emit(ObjectVolume, a.Name, StatusCreating, "")
	err := r.call(func(ctx context.Context) error { return r.x.Engine.CreateVolume(ctx, *a.VolumeSpec) })
	if errors.Is(err, ErrConflict) {
		// The volume exists with other labels: use it, as Docker Compose does,
		// and never delete or replace it (it may hold the user's data).
		r.emit(ObjectVolume, a.Name, StatusWarning, "already exists but was not created by this project; using it as it is")
		return nil
	}
	if err != nil {
		return fmt.Errorf("create volume %q: %w", a.Name, err)
	}
	r.emit(ObjectVolume, a.Name, StatusCreated, "")
	return nil
}

// createContainer creates (or recreates) a replica: the new container is
// created as soon as networks and volumes exist, then waits for the services
// it depends on before the old one is replaced and it is started.
func (r *applyRun) createContainer(a *Action) error {
	if err := r.wait(a.CreateAfter); err != nil {
		return err
	}
	if a.OneOff {
		// Its dependencies' conditions hold before it exists, so that a
		// failed one leaves no one-off behind (the caller starts it).
		if err := r.waitConditions(a); err != nil {
			return err
		}
	}
	spec := *a.Create
	if a.NetworkModeService != "" {
		r.mu.Lock()
		if id := r.created[a.NetworkModeService]; id != "" {
			spec.NetworkMode = "container:" + id
		}
		r.mu.Unlock()
		if spec.NetworkMode == "" {
			return fmt.Errorf("container %q: network_mode service:%s has no container to join", a.Name, a.NetworkModeService)
		}
	}
	if a.Kind == RecreateContainer {
		r.emit(ObjectContainer, a.Name, StatusRecreate, a.Reason)
	} else {
		r.emit(ObjectContainer, a.Name, StatusCreating, "")
	}
	// A recreate that waits for nothing stops the old container while the
	// new one is created, rather than after: the replacement is then one
	// create shorter than stop, remove, create and start in a row. Should
	// the new one fail to be made, the old one is started again.
	var stopped chan error
	if a.Kind == RecreateContainer && len(a.After) == 0 && len(a.Conditions) == 0 {
		stopped = make(chan error, 1)
		go func() { stopped <- r.stopOld(a) }()
	}
	id, err := r.prepareContainer(a, spec)
	if err != nil {
		if stopped != nil {
			err = errors.Join(err, r.restartOld(a, <-stopped))
		}
		return err
	}
	r.x.recordCreated(a.Name, id)
	r.mu.Lock()
	if !a.OneOff && (r.created[a.Service] == "" || a.Number == 1) {
		r.created[a.Service] = id
	}
	r.mu.Unlock()
	if a.Kind != RecreateContainer {
		// Created as soon as it is: the waits below show on the lines of
		// what is waited for.
		r.emit(ObjectContainer, a.Name, StatusCreated, "")
	}
	if err := r.wait(a.After); err != nil {
		return err
	}
	if !a.NoStart {
		// Keep the old container serving until the new one can start.
		if err := r.waitConditions(a); err != nil {
			return err
		}
	}
	if a.Kind == RecreateContainer {
		if err := r.replace(a, id, stopped); err != nil {
			return err
		}
		r.emit(ObjectContainer, a.Name, StatusRecreated, "")
	}
	if a.NoStart {
		return nil
	}
	return r.start(a, id)
}

// createOrAdopt creates the container. If the name is taken by the very
// container this action would create (same project, service, number and
// config hash), it is adopted: a killed run's create request can land in
// the engine after the next run observed, and a concurrent run can win the
// race. Any other holder of the name is an error.
func (r *applyRun) createOrAdopt(a *Action, spec CreateSpec) (id string, adopted bool, err error) {
	err = r.call(func(ctx context.Context) error {
		var err error
		id, err = r.x.Engine.CreateContainer(ctx, spec)
		return err
	})
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, ErrConflict) {
		return "", false, fmt.Errorf("create container %q: %w", a.Name, err)
	}
	// The engine reserves the name before it registers the container, so
	// a create still in flight answers "conflict" to us and "not found" to
	// inspect for a moment.
	var existing Container
	var ierr error
	for wait := 0; wait < 40; wait++ {
		ierr = r.call(func(ctx context.Context) error {
			var err error
			existing, err = r.x.Engine.InspectContainer(ctx, spec.Name)
			return err
		})
		if !IsNotFound(ierr) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Never adopt the container being replaced: its number and hash can
	// match when only the image changed.
	if ierr == nil && existing.ID != a.ContainerID && sameReplica(existing.Replica, project.ParseReplicaLabels(spec.Spec.Labels)) {
		return existing.ID, true, nil
	}
	return "", false, fmt.Errorf("create container %q: the name %q is already in use by a container that is not this replica: remove or rename it, then run the command again", a.Name, spec.Name)
}

// sameReplica reports whether two containers' labels describe the same
// replica of the same service configuration.
func sameReplica(have, want project.Replica) bool {
	return have.Project == want.Project && have.Service == want.Service && have.Number == want.Number &&
		have.ConfigHash == want.ConfigHash && have.OneOff == want.OneOff
}

// prepareContainer creates the container (or adopts it, see
// createOrAdopt), writes its files and connects its further networks.
func (r *applyRun) prepareContainer(a *Action, spec CreateSpec) (string, error) {
	id, adopted, err := r.createOrAdopt(a, spec)
	if err != nil {
		return "", err
	}
	if err := r.writeFiles(a, id, spec.Spec.Files); err != nil {
		return "", err
	}
	for _, ne := range a.Networks {
		err := r.call(func(ctx context.Context) error { return r.x.Engine.ConnectNetwork(ctx, ne.Network, id, ne.Endpoint) })
		if err != nil && !(adopted && errors.Is(err, ErrConflict)) {
			return "", fmt.Errorf("connect container %q to network %q: %w", a.Name, ne.Network, err)
		}
	}
	return id, nil
}

// stopOld stops the container a recreate replaces; one already gone is
// stopped.
func (r *applyRun) stopOld(a *Action) error {
	if err := r.preStop(a, a.ContainerID); err != nil {
		return err
	}
	err := r.call(func(ctx context.Context) error { return r.x.Engine.StopContainer(ctx, a.ContainerID, a.Timeout) })
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("stop container %q: %w", a.Name, err)
	}
	return nil
}

// restartOld starts again the container a failed or interrupted recreate
// stopped, when it ran before; stopErr is the stop's outcome.
func (r *applyRun) restartOld(a *Action, stopErr error) error {
	if stopErr != nil || !a.OldRunning {
		return stopErr
	}
	// Even after an interrupt: this restores, it starts nothing new.
	r.sem <- struct{}{}
	err := r.x.Engine.StartContainer(r.calls, a.ContainerID)
	<-r.sem
	if err != nil {
		return fmt.Errorf("start container %q again after its replacement failed: %w", a.Name, err)
	}
	return nil
}

// replace stops (unless stopped already delivers the outcome of a stop
// started earlier) and removes the old container of a recreate and gives
// the new one its name.
func (r *applyRun) replace(a *Action, newID string, stopped <-chan error) error {
	var err error
	if stopped != nil {
		err = <-stopped
	} else {
		err = r.stopOld(a)
	}
	if err != nil {
		return err
	}
	// Anonymous volumes were handed to the new container: keep them.
	err = r.call(func(ctx context.Context) error { return r.x.Engine.RemoveContainer(ctx, a.ContainerID, false) })
	if errors.Is(err, errSkipped) && stopped != nil {
		// Interrupted: the old container, stopped early, serves on.
		return errors.Join(err, r.restartOld(a, nil))
	}
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("remove container %q: %w", a.Name, err)
	}
	err = r.call(func(ctx context.Context) error { return r.x.Engine.RenameContainer(ctx, newID, a.Name) })
	if err != nil {
		return fmt.Errorf("rename container %q: %w", a.Name, err)
	}
	return nil
}

// start starts a container. Publishing containers may lose a race in the
// engine's non-atomic port allocator; those starts are retried after a short
// jittered pause instead of serializing every start.
func (r *applyRun) start(a *Action, id string) error {
	if err := r.waitConditions(a); err != nil {
		return err
	}
	if err := r.preStart(a, id); err != nil {
		return err
	}
	r.emit(ObjectContainer, a.Name, StatusStarting, "")
	var err error
	for attempt := 0; ; attempt++ {
		err = r.call(func(ctx context.Context) error { return r.x.Engine.StartContainer(ctx, id) })
		if err == nil || !errors.Is(err, ErrPortAllocated) || !a.PublishesPorts || attempt >= portRetries {
			break
		}
		pause := time.Duration(20*(attempt+1)+rand.IntN(40)) * time.Millisecond
		select {
		case <-time.After(pause):
		case <-r.ctx.Done():
			return errSkipped
		}
	}
	if err != nil {
		var taken *PortAllocatedError
		if errors.As(err, &taken) {
			// A host port held for good: name the holder when it is a
			// compose container (of any project), and say how to fix it.
			port := taken.HostPort
			var running []Container
			if port != "" {
				running, _ = r.x.Engine.ListAllContainers(r.calls, false)
			}
			for _, c := range running {
				for _, p := range c.Ports {
					if c.ID == id || fmt.Sprint(p.PublicPort) != port {
						continue
					}
					proj, svc := c.Project, c.Service
					// %.0w wraps the engine's error (errors.Is ErrPortAllocated) without repeating it.
					return fmt.Errorf("start container %q: port %s is already allocated by container %q (project %q, service %q): "+
						"publish another host port for %q, or stop that container first (mycompose -p %s stop %s)%.0w",
						a.Name, port, c.Name, proj, svc, a.Service, proj, svc, err)
				}
			}
		}
		return fmt.Errorf("start container %q: %w", a.Name, err)
	}
	if err := r.runHooks(a, id, "post_start"); err != nil {
		return err
	}
	r.emit(ObjectContainer, a.Name, StatusStarted, "")
	return nil
}

func (r *applyRun) rename(a *Action) error {
	err := r.call(func(ctx context.Context) error { return r.x.Engine.RenameContainer(ctx, a.ContainerID, a.Name) })
	if err != nil {
		return fmt.Errorf("rename container %q: %w", a.Name, err)
	}
	r.emit(ObjectContainer, a.Name, StatusRenamed, a.Reason)
	if err := r.wait(a.After); err != nil || a.NoStart {
		return err
	}
	return r.start(a, a.ContainerID)
}

func (r *applyRun) stop(a *Action) error {
	r.emit(ObjectContainer, a.Name, StatusStopping, "")
	if err := r.preStop(a, a.ContainerID); err != nil {
		return err
	}
	err := r.call(func(ctx context.Context) error { return r.x.Engine.StopContainer(ctx, a.ContainerID, a.Timeout) })
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("stop container %q: %w", a.Name, err)
	}
	r.emit(ObjectContainer, a.Name, StatusStopped, "")
	return nil
}

func (r *applyRun) removeContainer(a *Action) error {
	if err := r.stop(a); err != nil {
		return err
	}
	r.emit(ObjectContainer, a.Name, StatusRemoving, "")
	err := r.call(func(ctx context.Context) error {
		return r.x.Engine.RemoveContainer(ctx, a.ContainerID, a.RemoveVolumes)
	})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("remove container %q: %w", a.Name, err)
	}
	r.emit(ObjectContainer, a.Name, StatusRemoved, "")
	return nil
}

func (r *applyRun) removeNetwork(a *Action) error {
	// A network waits for every container removal, failed or not: one
	// failure must not leave the network behind needlessly.
	for _, d := range a.After {
		<-r.done[d]
	}
	if r.ctx.Err() != nil {
		return errSkipped
	}
	r.emit(ObjectNetwork, a.Name, StatusRemoving, "")
	target := a.Name
	if a.NetworkID != "" {
		target = a.NetworkID
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = r.call(func(ctx context.Context) error { return r.x.Engine.RemoveNetwork(ctx, target) })
		if err == nil || !errors.Is(err, ErrNetworkInUse) {
			break
		}
		// Attached containers are a reason to keep it; with none attached,
		// the 20.10 engine is releasing a removed container's endpoint late
		// (moby/moby#42119), so retry briefly.
		users, ierr := r.networkUsers(target)
		if ierr != nil || len(users) > 0 {
			r.emit(ObjectNetwork, a.Name, StatusWarning, "not removed: still in use by container(s) "+strings.Join(users, ", ")+" of another project or of no project")
			return nil
		}
		if attempt >= 8 {
			r.emit(ObjectNetwork, a.Name, StatusWarning, "not removed: the engine still holds endpoints of removed containers although none is attached (a Docker 20.10 bug, moby/moby#42119); restarting the Docker daemon frees it")
			return nil
		}
		select {
		case <-time.After(time.Duration(50*(attempt+1)) * time.Millisecond):
		case <-r.ctx.Done():
			return errSkipped
		}
	}
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("remove network %q: %w", a.Name, err)
	}
	r.emit(ObjectNetwork, a.Name, StatusRemoved, "")
	return nil
}

// removeImage removes an image once every container removal is done,
// failed or not (the image of a container that stays is refused by the
// engine, which is the error then).
func (r *applyRun) removeImage(a *Action) error {
	for _, d := range a.After {
		<-r.done[d]
	}
	if r.ctx.Err() != nil {
		return errSkipped
	}
	r.emit(ObjectImage, a.Name, StatusRemoving, "")
	err := r.call(func(ctx context.Context) error { return r.x.Engine.RemoveImage(ctx, a.Name) })
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("remove image %q: %w", a.Name, err)
	}
	r.emit(ObjectImage, a.Name, StatusRemoved, "")
	return nil
}

// networkUsers lists the short IDs of the containers attached to a network.
func (r *applyRun) networkUsers(network string) ([]string, error) {
	var n Network
	err := r.call(func(ctx context.Context) error {
		var err error
		n, err = r.x.Engine.InspectNetwork(ctx, network)
		return err
	})
	ids := make([]string, len(n.Containers))
	for i, id := range n.Containers {
		ids[i] = shortID(id)
	}
	return ids, err
}

func (r *applyRun) removeVolume(a *Action) error {
	r.emit(ObjectVolume, a.Name, StatusRemoving, "")
	err := r.call(func(ctx context.Context) error { return r.x.Engine.RemoveVolume(ctx, a.Name) })
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("remove volume %q: %w", a.Name, err)
	}
	r.emit(ObjectVolume, a.Name, StatusRemoved, "")
	return nil
}
