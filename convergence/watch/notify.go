package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Batching: a batch is flushed Quiet after its last event, and at the
// latest MaxDelay after its first, so that an edit is never held back
// waiting for a silence that does not come (a log file written every few
// milliseconds below a watched path). A burst (a checkout, an archive
// extracted, a generator writing many files) arrives with gaps far below
// Quiet and lands in one batch if it lasts less than MaxDelay. Changes
// arriving while a batch is being applied wait for it and then go out
// together, so a slow engine coalesces instead of queueing.
const (
	DefaultQuiet    = 20 * time.Millisecond
	DefaultMaxDelay = time.Second
)

// A batch of burstSize paths or more is a burst: its quiet period is
// burstQuietFactor times longer.
const (
	burstSize        = 16
	burstQuietFactor = 5
)

// notifier watches the rules' paths recursively and delivers batches of
// changed host paths.
type notifier struct {
	w        *fsnotify.Watcher
	rules    []*rule
	quiet    time.Duration
	maxDelay time.Duration
	// roots are the directories watched recursively; files are the watched
	// single files (their parent directory is watched).
	roots []string

	mu      sync.Mutex
	pending map[string]Op
	ready   chan struct{} // signalled when pending has a flushed batch
	flushed bool
}

func newNotifier(rules []*rule, quiet, maxDelay time.Duration) (*notifier, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	n := &notifier{w: w, rules: rules, quiet: quiet, maxDelay: maxDelay,
		pending: map[string]Op{}, ready: make(chan struct{}, 1)}
	seen := map[string]bool{}
	for _, r := range rules {
		info, err := os.Stat(r.Path)
		if err != nil {
			w.Close()
			return nil, err
		}
		dir := r.Path
		if !info.IsDir() {
			dir = filepath.Dir(r.Path)
			if !seen[dir] {
				seen[dir] = true
				if err := w.Add(dir); err != nil {
					w.Close()
					return nil, err
				}
			}
			continue
		}
		if err := n.addTree(dir, seen); err != nil {
			w.Close()
			return nil, err
		}
	}
	return n, nil
}

// addTree watches dir and every directory below it that some rule does not
// skip; seen avoids watching a directory twice. A directory that vanished
// meanwhile is not an error: its removal is an event of its own.
func (n *notifier) addTree(dir string, seen map[string]bool) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && n.skipDir(p) {
			return filepath.SkipDir
		}
		if seen[p] {
			return nil
		}
		seen[p] = true
		if err := n.w.Add(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if errors.Is(err, syscall.ENOSPC) {
				return fmt.Errorf("watch %s: the kernel's inotify watch limit is reached: raise it (sysctl fs.inotify.max_user_watches=524288) or ignore more directories: %w", p, err)
			}
			return fmt.Errorf("watch %s: %w", p, err)
		}
		return nil
	})
}

// skipDir reports whether every rule that covers p skips it.
func (n *notifier) skipDir(p string) bool {
	covered := false
	for _, r := range n.rules {
		if _, ok := r.rel(p); ok {
			covered = true
			if !r.skipDir(p) {
				return false
			}
		}
	}
	return covered
}

// relevant reports whether some rule matches p.
func (n *notifier) relevant(p string) bool {
	for _, r := range n.rules {
		if r.matches(p) {
			return true
		}
	}
	return false
}

// run reads file events until ctx is done, batching them. overflow is
// called when the kernel dropped events or a new directory could not be
// watched (the caller says so and resyncs everything).
func (n *notifier) run(ctx context.Context, overflow func(error)) {
	defer n.w.Close()
	batch := map[string]Op{}
	var first, last time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	arm := func() {
		quiet := n.quiet
		if len(batch) >= burstSize {
			// A burst in progress: wait a little longer for its
			// stragglers (a writer descheduled on a busy machine) so that
			// it stays one batch. A save is a few events and never waits.
			quiet *= burstQuietFactor
		}
		deadline := last.Add(quiet)
		if max := first.Add(n.maxDelay); max.Before(deadline) {
			deadline = max
		}
		timer.Reset(time.Until(deadline))
	}
	seen := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-n.w.Errors:
			if !ok {
				return
			}
			overflow(err)
		case ev, ok := <-n.w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				// A new directory: watch it (and what was created in it
				// before the watch was in place) before anything else.
				if info, err := os.Lstat(ev.Name); err == nil && info.IsDir() && !n.skipDir(ev.Name) {
					clear(seen)
					if err := n.addTree(ev.Name, seen); err != nil {
						overflow(err)
					}
				}
			}
			if !n.relevant(ev.Name) {
				continue
			}
			now := time.Now()
			if len(batch) == 0 {
				first = now
			}
			last = now
			if _, ok := batch[ev.Name]; !ok {
				op := OpChange
				if ev.Has(fsnotify.Create) {
					op = OpCreate
				}
				batch[ev.Name] = op
			}
			arm()
		case <-timer.C:
			if len(batch) > 0 {
				n.post(batch)
				batch = map[string]Op{}
			}
		}
	}
}

// post merges a flushed batch into the pending one and wakes the consumer.
func (n *notifier) post(batch map[string]Op) {
	n.mu.Lock()
	for p, op := range batch {
		if old, ok := n.pending[p]; !ok || old != OpChange {
			n.pending[p] = op
		}
	}
	n.mu.Unlock()
	select {
	case n.ready <- struct{}{}:
	default:
	}
}

// take returns the pending changes and empties them.
func (n *notifier) take() map[string]Op {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.pending
	n.pending = map[string]Op{}
	return out
}

// everything marks the rules' paths as changed, for a full resync after
// the kernel dropped events.
func (n *notifier) everything() {
	batch := map[string]Op{}
	for _, r := range n.rules {
		if r.Syncs() {
			batch[r.Path] = OpChange
		}
	}
	n.post(batch)
}

func sortedKeys(m map[string]Op) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
