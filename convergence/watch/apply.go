package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mycompose/mycompose/convergence"
)

// apply plans a batch and carries it out: syncs, restarts and execs
// first, then rebuilds (slow, and they replace the containers anyway).
func (w *watcher) apply(ctx context.Context, changes map[string]Op) {
	works := planBatch(w.rules, changes, exists)
	if len(works) == 0 {
		return
	}
	var cs []convergence.Container
	listed := false
	for _, work := range works {
		if work.Rebuild {
			continue
		}
		if !listed {
			var err error
			if cs, err = w.containers(ctx); err != nil {
				w.emit(work.Service, "Error", fmt.Sprintf("list containers: %v", err))
				return
			}
			listed = true
		}
		w.forget(cs, work.Service)
		reps := replicas(cs, work.Service)
		if (len(work.Copies) > 0 || len(work.Deletes) > 0) && !w.sync(ctx, work, reps, "") {
			continue
		}
		if len(work.Execs) > 0 {
			w.exec(ctx, work, reps)
		}
		if work.Restart {
			w.restart(ctx, work.Service, reps)
		}
	}
	for _, work := range works {
		if work.Rebuild {
			w.rebuild(ctx, work.Service)
		}
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// containers returns the project's running containers: from the cache
// the engine's events keep, else from a list.
func (w *watcher) containers(ctx context.Context) ([]convergence.Container, error) {
	if !w.live {
		return w.o.Engine.ListContainers(ctx, w.o.Project.Name)
	}
	cs := make([]convergence.Container, 0, len(w.running))
	for _, c := range w.running {
		cs = append(cs, c)
	}
	return cs, nil
}

// forget drops the service's containers that are not running from the
// up-to-date set: they miss this batch, and need a full sync when they
// start again.
func (w *watcher) forget(cs []convergence.Container, service string) {
	running := map[string]bool{}
	for _, c := range cs {
		if c.State == "running" {
			running[c.ID] = true
		}
	}
	for id, svc := range w.upToDate {
		if svc == service && !running[id] {
			delete(w.upToDate, id)
		}
	}
}

// sync sends the work's copies (one tar stream per container) and
// deletions to every container, in parallel, and reports whether all
// succeeded.
func (w *watcher) sync(ctx context.Context, work Work, cs []convergence.Container, why string) bool {
	for _, r := range work.Rules {
		w.dirty[r] = true
	}
	start := time.Now()
	var stream []byte
	files := 0
	if len(work.Copies) > 0 {
		var err error
		if stream, files, err = syncTar(work.Copies); err != nil {
			w.emit(work.Service, "Error", fmt.Sprintf("sync: %v", err))
			return false
		}
	}
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.syncOne(ctx, c, stream, work.Deletes)
		}()
	}
	wg.Wait()
	var names, failed []string
	for i, c := range cs {
		if errors.Is(errs[i], convergence.ErrNotFound) {
			delete(w.running, c.ID) // removed meanwhile (scale down, recreate)
			continue
		}
		if errs[i] != nil {
			delete(w.upToDate, c.ID)
			failed = append(failed, fmt.Sprintf("%s: %v", c.Name, errs[i]))
			continue
		}
		w.upToDate[c.ID] = work.Service
		names = append(names, c.Name)
	}
	if len(failed) > 0 {
		w.emit(work.Service, "Error", "sync: "+strings.Join(failed, "; "))
		return false
	}
	detail := fmt.Sprintf("%d files, %d deleted", files, len(work.Deletes))
	if why != "" {
		detail = why + ": " + detail
	}
	if len(names) == 0 {
		detail += " (no running container)"
	} else {
		detail += fmt.Sprintf(" → %s (%dms)", strings.Join(names, ", "), time.Since(start).Milliseconds())
	}
	w.emit(work.Service, "Synced", detail)
	return true
}

// syncOne deletes, then copies, in one container: through its helper when
// it has one, else (or when the helper fails) through an rm exec and the
// engine's archive API, which extracts with the tar's modes and owners.
func (w *watcher) syncOne(ctx context.Context, c convergence.Container, stream []byte, deletes []string) error {
	if h := w.helperFor(ctx, c.ID); h != nil && !anyNewline(deletes) {
		err := h.sync(ctx, stream, deletes)
		if err == nil || ctx.Err() != nil {
			return err
		}
		w.dropHelper(c.ID, h)
	}
	if len(deletes) > 0 {
		var out bytes.Buffer
		cmd := append([]string{"rm", "-rf", "--"}, deletes...)
		code, err := w.o.Engine.Exec(ctx, c.ID, convergence.ExecSpec{Cmd: cmd, User: "0"}, convergence.Stdio{Stdout: &out, Stderr: &out})
		if err != nil {
			return fmt.Errorf("delete %s: %w", strings.Join(deletes, " "), err)
		}
		if code != 0 {
			return fmt.Errorf("delete %s: rm exited with code %d: %s", strings.Join(deletes, " "), code, lastLine(out.String()))
		}
	}
	if stream != nil {
		if err := w.o.Engine.CopyToContainer(ctx, c.ID, "/", bytes.NewReader(stream)); err != nil {
			return err
		}
	}
	return nil
}

// helperFor returns the running helper of a container, starting one if
// needed; nil when the container cannot run one. Safe for concurrent use
// on distinct containers.
func (w *watcher) helperFor(ctx context.Context, id string) *helper {
	w.hmu.Lock()
	h, ok := w.helpers[id]
	w.hmu.Unlock()
	if ok && (h == nil || h.alive()) {
		return h
	}
	h, err := startHelper(ctx, w.o.Engine, id)
	w.hmu.Lock()
	defer w.hmu.Unlock()
	if errors.Is(err, errNoHelper) {
		w.helpers[id] = nil // remembered: the image will not change
		return nil
	}
	if err != nil {
		return nil // not running, or a busy engine: try again next batch
	}
	w.helpers[id] = h
	return h
}

func (w *watcher) dropHelper(id string, h *helper) {
	h.close()
	w.hmu.Lock()
	defer w.hmu.Unlock()
	if w.helpers[id] == h {
		delete(w.helpers, id)
	}
}

// warm starts the helpers of containers in parallel, so that the first
// change is as fast as the next ones.
func (w *watcher) warm(ctx context.Context, cs []convergence.Container) {
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.helperFor(ctx, c.ID)
		}()
	}
	wg.Wait()
}

func anyNewline(paths []string) bool {
	for _, p := range paths {
		if strings.ContainsAny(p, "\n") {
			return true
		}
	}
	return false
}

// exec runs the sync+exec commands in every container, in parallel.
func (w *watcher) exec(ctx context.Context, work Work, cs []convergence.Container) {
	for _, x := range work.Execs {
		errs := make([]error, len(cs))
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var out bytes.Buffer
				spec := convergence.ExecSpec{Cmd: x.Command, Env: x.Env, User: x.User, WorkingDir: x.WorkingDir, Privileged: x.Privileged}
				code, err := w.o.Engine.Exec(ctx, c.ID, spec, convergence.Stdio{Stdout: &out, Stderr: &out})
				if err == nil && code != 0 {
					err = fmt.Errorf("exited with code %d: %s", code, lastLine(out.String()))
				}
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", c.Name, err)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			w.emit(work.Service, "Error", fmt.Sprintf("exec %q: %v", strings.Join(x.Command, " "), err))
			continue
		}
		w.emit(work.Service, "Executed", fmt.Sprintf("%q in %d containers", strings.Join(x.Command, " "), len(cs)))
	}
}

// restart stops and starts the containers, in parallel, keeping their IDs
// (and so their synced files).
func (w *watcher) restart(ctx context.Context, service string, cs []convergence.Container) {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.o.Engine.StopContainer(ctx, c.ID, nil); err != nil {
				errs[i] = err
				return
			}
			if errs[i] = w.o.Engine.StartContainer(ctx, c.ID); errs[i] == nil && w.syncs(service) {
				w.helperFor(ctx, c.ID) // the restart ended the old one
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		w.emit(service, "Error", fmt.Sprintf("restart: %v", err))
		return
	}
	w.emit(service, "Restarted", fmt.Sprintf("%d containers", len(cs)))
}

// rebuild rebuilds the image and recreates the service through the
// caller's up path. A failure is reported and the watch goes on: the next
// change tries again.
func (w *watcher) rebuild(ctx context.Context, service string) {
	svc, _ := w.o.Project.Service(service)
	ref := svc.Container.Image
	var old string
	if w.o.Prune {
		if ids, err := w.o.Engine.ImageIDs(ctx, []string{ref}); err == nil {
			old = ids[ref]
		}
	}
	w.emit(service, "Rebuilding", "")
	start := time.Now()
	if err := w.o.Rebuild(ctx, service); err != nil {
		if ctx.Err() != nil {
			return
		}
		w.emit(service, "Error", fmt.Sprintf("rebuild failed, still watching (fix and save again): %v", err))
		return
	}
	w.emit(service, "Rebuilt", fmt.Sprintf("%.1fs", time.Since(start).Seconds()))
	if old == "" {
		return
	}
	if ids, err := w.o.Engine.ImageIDs(ctx, []string{ref}); err == nil && ids[ref] != old {
		if err := w.o.Engine.RemoveImage(ctx, old); err == nil {
			w.emit(service, "Pruned", old)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
