package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// follower streams the logs of a project's containers as they come and go:
// containers created later (scale up, recreate) and restarted ones. It is
// driven by engine events, subscribed before the container list is read so
// that nothing falls between the two.
//
// Events older than the list are already reflected in it and are skipped.
// Each stream is a follow request that ends when its container stops. A
// start event younger than the container's current stream means a new run,
// which gets a new stream from the previous run's death on: no line is
// lost and none printed twice.
type follower struct {
	eng     Engine
	printer *logPrinter
	stderr  func(format string, args ...any)
	// selected says which containers to follow, from their decoded labels.
	selected func(r project.Replica) bool
	// initial are the options of the streams of the containers listed at
	// the start; later streams show everything since base.
	initial convergence.LogOptions
	base    time.Time
	// onExit is called, in event order, for each exit of a followed
	// container; it may be nil.
	onExit func(name, service string, code int)
	// ending, when set and true, ends the follow as soon as nothing runs,
	// without the grace for restarts (attached up aborting).
	ending func() bool

	ctx      context.Context
	listedAt time.Time
	mu       sync.Mutex
	state    map[string]*followed
	wg       sync.WaitGroup
}

// idleGrace is how long the follower waits, once no followed container
// runs, for one to start again before it ends.
const idleGrace = 2 * time.Second

// followed is what the follower knows of one container.
type followed struct {
	id, name, service string
	opened            time.Time // when the latest stream was opened
	active            bool      // a stream is open
	pending           bool      // restarted while its stream was still open
	lastDie           time.Time
	running           bool
}

// displayName is the name logs show: "service-N" (Docker Compose drops the
// project), the container name for one-offs and container_name.
func displayName(name string, r project.Replica) string {
	compat := r.Project + "_" + r.Service + "_" + strconv.Itoa(r.Number)
	if r.Service != "" && r.Number > 0 && (name == project.ContainerName(r.Project, r.Service, r.Number) || name == compat) {
		return r.Service + "-" + strconv.Itoa(r.Number)
	}
	return name
}

// run follows until every followed container has stopped (stopWhenIdle),
// ctx is done, or the event stream breaks. initial are the containers
// listed, from listedAt on, after the events were subscribed.
func (f *follower) run(ctx context.Context, events <-chan convergence.ContainerEvent, errs <-chan error,
	initial []convergence.Container, listedAt time.Time, stopWhenIdle bool) error {
	f.ctx, f.listedAt = ctx, listedAt
	f.state = map[string]*followed{}
	defer f.wg.Wait()
	for _, c := range initial {
		if !f.selected(c.Replica) {
			continue
		}
		st := f.track(c.ID, c.Name, c.Replica)
		switch c.State {
		case "running", "restarting", "paused":
			st.running = true
		}
		f.open(st, f.initial)
	}
	if f.onExit != nil {
		// Containers that stopped before the list: their die events are
		// older than their streams, so they are reported from here.
		for _, c := range initial {
			if f.selected(c.Replica) && (c.State == "exited" || c.State == "dead") {
				d, err := f.eng.ContainerState(context.WithoutCancel(ctx), c.ID)
				if err == nil {
					f.onExit(displayName(c.Name, c.Replica), c.Service, d.ExitCode)
				}
			}
		}
	}
	if stopWhenIdle && !f.anyRunning() {
		return nil
	}
	var idle <-chan time.Time
	for {
		if stopWhenIdle {
			switch {
			case f.anyRunning():
				idle = nil
			case f.ending != nil && f.ending():
				return nil
			case idle == nil:
				// A restart stops then starts: give the start a moment
				// before deciding that everything has exited.
				idle = time.After(idleGrace)
			}
		}
		select {
		case <-idle:
			return nil
		case <-ctx.Done():
			return nil
		case err := <-errs:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("follow events: %w", err)
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			// Events older than the list are in it, except a death: the
			// engine (20.10) sends die before its list shows the exit,
			// so a container listed running may have died just before.
			if ev.Time.Before(f.listedAt) && ev.Action != "die" {
				continue
			}
			switch ev.Action {
			case "start":
				f.started(ev)
			case "die":
				f.died(ev)
			}
		}
	}
}

func (f *follower) track(id, name string, r project.Replica) *followed {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := &followed{id: id, name: displayName(name, r), service: r.Service}
	f.state[id] = st
	return st
}

func (f *follower) get(id string) *followed {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state[id]
}

func (f *follower) anyRunning() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, st := range f.state {
		if st.running {
			return true
		}
	}
	return false
}

// started handles a start event.
func (f *follower) started(ev convergence.ContainerEvent) {
	if !f.selected(ev.Replica) {
		return
	}
	st := f.get(ev.ID)
	if st == nil {
		st = f.track(ev.ID, ev.Name(), ev.Replica)
		f.mu.Lock()
		st.running = true
		f.mu.Unlock()
		f.open(st, convergence.LogOptions{Follow: true, Since: f.base, Timestamps: f.initial.Timestamps})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st.running = true
	if !ev.Time.After(st.opened) {
		return // the current stream was opened after this start: it has it
	}
	if st.active {
		st.pending = true
		return
	}
	f.openLocked(st)
}

// died handles a die event: the container stopped, or is being restarted
// by its restart policy, which only an inspect tells.
func (f *follower) died(ev convergence.ContainerEvent) {
	st := f.get(ev.ID)
	if st == nil {
		return
	}
	f.mu.Lock()
	dup := !st.running
	st.lastDie = ev.Time
	f.mu.Unlock()
	if dup {
		return // no start since its last exit: the list reported this one
	}
	d, err := f.eng.ContainerState(context.WithoutCancel(f.ctx), ev.ID)
	alive := err == nil && (d.Running || d.Restarting)
	if alive && ev.Time.Before(f.listedAt) {
		return // a death before the list, from which it restarted
	}
	f.mu.Lock()
	st.running = alive
	f.mu.Unlock()
	if f.onExit != nil {
		f.onExit(st.name, st.service, ev.ExitCode())
	}
}

// open starts a stream for st with opts.
func (f *follower) open(st *followed, opts convergence.LogOptions) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.openWith(st, opts)
}

// openLocked reopens the stream of a restarted container from its last
// death on.
func (f *follower) openLocked(st *followed) {
	since := st.lastDie
	if since.IsZero() {
		since = st.opened
	}
	f.openWith(st, convergence.LogOptions{Follow: true, Since: since, Timestamps: f.initial.Timestamps})
}

func (f *follower) openWith(st *followed, opts convergence.LogOptions) {
	st.active, st.pending = true, false
	st.opened = time.Now()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		out, errw := f.printer.writers(st.name, st.service)
		err := f.eng.ContainerLogs(f.ctx, st.id, opts, out, errw)
		out.Close()
		errw.Close()
		// A lost engine ends the whole command with one line (enginegone.go).
		if err != nil && f.ctx.Err() == nil && !convergence.IsNotFound(err) && !errors.Is(err, convergence.ErrEngineGone) {
			f.stderr("WARN[0000] %v\n", err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		st.active = false
		if st.pending && f.ctx.Err() == nil {
			f.openLocked(st)
		}
	}()
}
