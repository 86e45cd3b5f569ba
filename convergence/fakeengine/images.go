package fakeengine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mycompose/mycompose/convergence"
)

// The fake's ImageStore pulls from and pushes to an in-memory registry kept
// in a side table, like the Runtime's.

var _ convergence.ImageStore = (*Engine)(nil)

// registries maps each *Engine to its registry side table.
var registries sync.Map

// registryTable is the remote side of one fake, guarded by its mu.
type registryTable struct {
	images   map[string]string // ref -> image ID
	inflight int
	maxSeen  int
	// gate, when set, holds each pull until gateN pulls are in flight at
	// once (or the wait times out), to prove pulls run in parallel.
	gateN int
	gate  chan struct{}
	delay time.Duration
}

func (e *Engine) reg() *registryTable {
	if r, ok := registries.Load(e); ok {
		return r.(*registryTable)
	}
	r, _ := registries.LoadOrStore(e, &registryTable{images: map[string]string{}})
	return r.(*registryTable)
}

// SetRemoteImage puts an image in the fake registry under ref.
func (e *Engine) SetRemoteImage(ref, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reg().images[ref] = id
}

// RemoteImage returns the ID the fake registry holds for ref.
func (e *Engine) RemoteImage(ref string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.reg().images[ref]
	return id, ok
}

// HoldPullsUntil makes each pull wait until n pulls are in flight at once
// (at most a second), so that a test can prove pulls run in parallel.
func (e *Engine) HoldPullsUntil(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.reg()
	r.gateN, r.gate = n, make(chan struct{})
}

// SetPullDelay makes every pull take d.
func (e *Engine) SetPullDelay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reg().delay = d
}

// MaxConcurrentPulls returns the most pulls that were in flight at once.
func (e *Engine) MaxConcurrentPulls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reg().maxSeen
}

// PullImage implements convergence.ImageStore. The call is logged as
// "pull REF" (with " platform P" when set); FailNext("pull REF", ...)
// injects failures.
func (e *Engine) PullImage(ctx context.Context, ref, platform string, progress func(convergence.PullEvent)) (convergence.PulledImage, error) {
	e.mu.Lock()
	line := "pull " + ref
	if platform != "" {
		line += " platform " + platform
	}
	if err := e.record("%s", line); err != nil {
		e.mu.Unlock()
		return convergence.PulledImage{}, err
	}
	r := e.reg()
	r.inflight++
	r.maxSeen = max(r.maxSeen, r.inflight)
	gate, delay := r.gate, r.delay
	if gate != nil && r.inflight >= r.gateN {
		close(gate)
		r.gate = nil
	}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		r.inflight--
		e.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-time.After(time.Second):
		case <-ctx.Done():
			return convergence.PulledImage{}, ctx.Err()
		}
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return convergence.PulledImage{}, ctx.Err()
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := r.images[ref]
	if !ok {
		return convergence.PulledImage{}, fmt.Errorf("pull %q: not found in registry: no such repository or tag%.0w", ref, convergence.ErrImageNotFound)
	}
	if progress != nil {
		progress(convergence.PullEvent{Ref: ref, Layer: "0123456789ab", Status: "Downloading", Current: 1, Total: 2})
		progress(convergence.PullEvent{Ref: ref, Layer: "0123456789ab", Status: "Pull complete"})
	}
	e.images[ref] = id
	return convergence.PulledImage{ID: id, Size: 1990000}, nil
}

// PushImage implements convergence.ImageStore; logged as "push REF".
func (e *Engine) PushImage(_ context.Context, ref string, progress func(convergence.PullEvent)) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("push %s", ref); err != nil {
		return "", err
	}
	id, ok := e.images[ref]
	if !ok {
		return "", fmt.Errorf("push %q: image is not present on the engine%.0w", ref, convergence.ErrImageNotFound)
	}
	if progress != nil {
		progress(convergence.PullEvent{Ref: ref, Layer: "0123456789ab", Status: "Pushed"})
	}
	e.reg().images[ref] = id
	return "sha256:" + id, nil
}
