// Package watch is the dev loop of `watch` and `up --watch`: it watches the
// develop.watch paths of the services (recursively, new directories
// included), batches file events without waiting for a quiet period, and
// applies each batch: one tar stream per replica for the synced files, an
// rm for the deleted ones, then the restart, exec or rebuild the rules ask
// for. Containers that start later (a replica scaled up, recreated or
// replaced) get every file changed since the watch began.
//
// The decisions are pure (planBatch); the engine is reached through the
// narrow Engine interface, and the rebuild through a callback into the
// normal build-and-up path of the caller.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// Engine is what watch needs from the container engine.
type Engine interface {
	ListContainers(ctx context.Context, projectName string) ([]convergence.Container, error)
	CopyToContainer(ctx context.Context, id, dstDir string, tarStream io.Reader) error
	Exec(ctx context.Context, id string, spec convergence.ExecSpec, stdio convergence.Stdio) (int, error)
	StopContainer(ctx context.Context, id string, timeout *time.Duration) error
	StartContainer(ctx context.Context, id string) error
	Events(ctx context.Context, projectName string) (<-chan convergence.ContainerEvent, <-chan error)
	ImageIDs(ctx context.Context, refs []string) (map[string]string, error)
	RemoveImage(ctx context.Context, ref string) error
}

// ErrNothingToWatch is returned when no selected service has develop.watch.
var ErrNothingToWatch = errors.New("none of the selected services has a develop.watch section")

// Options configure a watch.
type Options struct {
	Project *project.Project
	// Services to watch; nil: every service with develop.watch.
	Services []string
	Engine   Engine
	// Events receives watch events (object "Watch", name the service);
	// calls are serialized.
	Events func(convergence.Event)
	// Rebuild builds the service's image and recreates its containers
	// through the normal up path.
	Rebuild func(ctx context.Context, service string) error
	// Prune removes the image a rebuild replaced when it is left dangling.
	Prune bool
	// Quiet and MaxDelay tune batching (zero: the defaults).
	Quiet, MaxDelay time.Duration
}

// Services returns, sorted, the services of names (nil: all) that have
// watch rules, or ErrNothingToWatch.
func Services(p *project.Project, names []string) ([]string, error) {
	if names == nil {
		names = p.ServiceNames()
	}
	var out []string
	for _, n := range names {
		if s, ok := p.Service(n); ok && len(s.Watch) > 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: add develop.watch rules (path, action, target) to a service", ErrNothingToWatch)
	}
	sort.Strings(out)
	return out, nil
}

// Run watches until ctx is done. Failures of one batch (a sync, a rebuild)
// are reported as Error events and the watch goes on; only a watch that
// cannot start returns an error.
func Run(ctx context.Context, o Options) error {
	services, err := Services(o.Project, o.Services)
	if err != nil {
		return err
	}
	rules, err := compileRules(o.Project, services)
	if err != nil {
		return err
	}
	w := newWatcher(o, rules)
	n, err := newNotifier(rules, or(o.Quiet, DefaultQuiet), or(o.MaxDelay, DefaultMaxDelay))
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, evErrs := o.Engine.Events(ctx, o.Project.Name)
	go n.run(ctx, func(err error) {
		w.emit("", "Warning", fmt.Sprintf("file events may be missing (%v): syncing everything again", err))
		n.everything()
	})
	if err := w.start(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.ready:
			w.apply(ctx, n.take())
		case ev, ok := <-evs:
			if !ok {
				evs = nil
				continue
			}
			switch ev.Action {
			case "start":
				w.running[ev.ID] = convergence.Container{ID: ev.ID, Name: ev.Name(), State: "running", Labels: ev.Attributes, Replica: ev.Replica}
				w.started(ctx, ev)
			case "die", "destroy":
				delete(w.running, ev.ID)
			}
		case err := <-evErrs:
			evErrs = nil
			w.live = false
			if ctx.Err() == nil {
				w.emit("", "Warning", fmt.Sprintf("engine events ended (%v): containers started from now on are not synced", err))
			}
		}
	}
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// watcher is the state of a running watch, owned by Run's goroutine.
type watcher struct {
	o        Options
	rules    []*rule
	services []string
	// upToDate are the containers (ID -> service) that have every change
	// synced so far.
	upToDate map[string]string
	// running are the project's running containers, listed at the start
	// and kept current by the engine's events while live (else each batch
	// lists them): a batch needs no engine round trip before its sync.
	running map[string]convergence.Container
	live    bool
	// dirty are the sync rules that have synced something since the start:
	// a container that starts later needs their whole path.
	dirty map[*rule]bool
	// helpers are the sync helpers by container ID (nil: the container
	// cannot run one); guarded by hmu, since syncs run per container.
	hmu     sync.Mutex
	helpers map[string]*helper
}

func newWatcher(o Options, rules []*rule) *watcher {
	w := &watcher{o: o, rules: rules, upToDate: map[string]string{}, running: map[string]convergence.Container{}, live: true, dirty: map[*rule]bool{}, helpers: map[string]*helper{}}
	for _, r := range rules {
		if len(w.services) == 0 || w.services[len(w.services)-1] != r.Service {
			w.services = append(w.services, r.Service)
		}
	}
	return w
}

func (w *watcher) emit(service, status, detail string) {
	if w.o.Events != nil {
		name := service
		if name == "" {
			name = w.o.Project.Name
		}
		w.o.Events(convergence.Event{Object: "Watch", Name: name, Status: status, Detail: detail})
	}
}

// start runs the initial syncs, notes the running containers as up to
// date, and announces each watched service.
func (w *watcher) start(ctx context.Context) error {
	cs, err := w.o.Engine.ListContainers(ctx, w.o.Project.Name)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.State == "running" {
			w.upToDate[c.ID] = c.Service
			w.running[c.ID] = c
		}
	}
	for _, svc := range w.services {
		var initial []*rule
		var paths []string
		for _, r := range w.rules {
			if r.Service != svc {
				continue
			}
			paths = append(paths, fmt.Sprintf("%s (%s)", w.display(r.Path), r.Action))
			if r.InitialSync {
				initial = append(initial, r)
			}
		}
		if w.syncs(svc) {
			w.warm(ctx, replicas(cs, svc))
		}
		if len(initial) > 0 {
			w.fullSync(ctx, svc, initial, replicas(cs, svc))
		}
		w.emit(svc, "Watching", strings.Join(paths, ", "))
	}
	return nil
}

// display shows a path relative to the project directory.
func (w *watcher) display(p string) string {
	if rel, ok := strings.CutPrefix(p, w.o.Project.WorkingDir+string(os.PathSeparator)); ok {
		return rel
	}
	return p
}

// replicas returns the running containers of a service (one-offs excluded).
func replicas(cs []convergence.Container, service string) []convergence.Container {
	var out []convergence.Container
	for _, c := range cs {
		if c.State == "running" && c.Service == service && !c.OneOff {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// started brings a container that was not running during earlier syncs up
// to date: it gets the whole path of every rule that synced something (or
// asks for an initial sync).
func (w *watcher) started(ctx context.Context, ev convergence.ContainerEvent) {
	svc := ev.Service
	if _, ok := w.upToDate[ev.ID]; ok || ev.OneOff || !contains(w.services, svc) {
		return
	}
	var rules []*rule
	for _, r := range w.rules {
		if r.Service == svc && (w.dirty[r] || r.InitialSync) {
			rules = append(rules, r)
		}
	}
	w.upToDate[ev.ID] = svc
	if w.syncs(svc) {
		w.helperFor(ctx, ev.ID)
	}
	if len(rules) == 0 {
		return
	}
	c := convergence.Container{ID: ev.ID, Name: ev.Name()}
	w.fullSync(ctx, svc, rules, []convergence.Container{c})
}

// fullSync copies the whole path of the rules into the containers.
func (w *watcher) fullSync(ctx context.Context, svc string, rules []*rule, cs []convergence.Container) {
	work := Work{Service: svc, Rules: rules}
	for _, r := range rules {
		work.Copies = append(work.Copies, Copy{Host: r.Path, Container: r.Target, rule: r})
	}
	w.sync(ctx, work, cs, "initial sync")
}

// syncs reports whether the service has a sync rule.
func (w *watcher) syncs(svc string) bool {
	for _, r := range w.rules {
		if r.Service == svc && r.Syncs() {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// Check compiles the services' rules (paths exist, patterns are valid),
// so that a command can refuse before it starts anything.
func Check(p *project.Project, services []string) error {
	_, err := compileRules(p, services)
	return err
}
