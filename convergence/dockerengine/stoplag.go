package dockerengine

import (
	"context"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// listLag bounds how long the engine's container list is waited for to
// agree that the containers stopped.
const listLag = 2 * time.Second

// stopLag holds the containers stopped by this client whose stop the
// engine's container list may not show yet. Newer engines answer lists from
// a view they update just after ContainerStop has returned: Docker 26.1
// listed a just-stopped container as running 4 times in 15, Docker 20.10
// never. Without waiting, `ps`, `ls` or the observe of a following `up`
// could see a stopped container running (and `up` would not start it).
//
// The wait is settled lazily, in one list call for all of them: before this
// client lists containers, and when it closes (so that the next command
// sees the stops). A container removed meanwhile needs no wait, which spares
// `down` and recreates a list call per container.
type stopLag struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func (l *stopLag) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		l.ids = map[string]struct{}{}
	}
	l.ids[id] = struct{}{}
}

func (l *stopLag) drop(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.ids, id)
}

// take returns the pending containers and forgets them.
func (l *stopLag) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.ids))
	for id := range l.ids {
		out = append(out, id)
	}
	l.ids = nil
	return out
}

// settleStops waits, at most listLag, until the container list no longer
// shows running any container this client stopped and did not remove.
func (e *Engine) settleStops(ctx context.Context) {
	ids := e.lag.take()
	if len(ids) == 0 {
		return
	}
	args := filters.NewArgs()
	for _, id := range ids {
		args.Add("id", id)
	}
	deadline := time.Now().Add(listLag)
	for {
		list, err := e.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
		if err != nil || !anyRunning(list) || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func anyRunning(list []container.Summary) bool {
	for _, c := range list {
		if c.State == "running" {
			return true
		}
	}
	return false
}
