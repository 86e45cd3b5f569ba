package watch

import (
	"path"
	"sort"

	"github.com/mycompose/mycompose/project"
)

// Op is the first kind of change seen for a path in a batch.
type Op int

// Kinds of change.
const (
	OpChange Op = iota // written, attributes changed, or removed
	OpCreate           // first seen being created in this batch
)

// Copy is a host file or directory to copy into the containers of a service.
type Copy struct {
	Host, Container string
	rule            *rule
}

// Work is what one batch asks of one service. Rebuild supersedes the rest:
// the recreated containers get the new files from the image and from the
// full sync that new containers of a changed service receive.
type Work struct {
	Service string
	Rebuild bool
	Copies  []Copy   // sorted by container path
	Deletes []string // container paths, sorted
	Restart bool
	Execs   []*project.WatchExec // in rule order, each once
	// Rules are the sync rules that copied or deleted something.
	Rules []*rule
	// Paths is the number of changed host paths that triggered a rule.
	Paths int
}

// planBatch decides, purely, what a batch of changed host paths asks of
// each service: exists reports whether a path exists now. A path that is
// gone is deleted in the containers, unless it was created within the
// batch (an editor's temporary file that never reached a container).
// Services are sorted by name.
func planBatch(rules []*rule, changes map[string]Op, exists func(string) bool) []Work {
	paths := make([]string, 0, len(changes))
	for p := range changes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	byService := map[string]*Work{}
	var order []string
	for _, r := range rules {
		seenExec := false
		for _, p := range paths {
			if !r.matches(p) {
				continue
			}
			w, ok := byService[r.Service]
			if !ok {
				w = &Work{Service: r.Service}
				byService[r.Service] = w
				order = append(order, r.Service)
			}
			w.Paths++
			switch r.Action {
			case project.WatchRebuild:
				w.Rebuild = true
				continue
			case project.WatchRestart:
				w.Restart = true
				continue
			}
			if exists(p) {
				w.Copies = append(w.Copies, Copy{Host: p, Container: r.containerPath(p), rule: r})
			} else if changes[p] != OpCreate {
				w.Deletes = append(w.Deletes, r.containerPath(p))
			} else {
				continue
			}
			if len(w.Rules) == 0 || w.Rules[len(w.Rules)-1] != r {
				w.Rules = append(w.Rules, r)
			}
			if r.Action == project.WatchSyncRestart {
				w.Restart = true
			}
			if r.Action == project.WatchSyncExec && !seenExec {
				w.Execs = append(w.Execs, r.Exec)
				seenExec = true
			}
		}
	}
	sort.Strings(order)
	out := make([]Work, 0, len(order))
	for _, s := range order {
		w := byService[s]
		sort.Slice(w.Copies, func(i, j int) bool { return w.Copies[i].Container < w.Copies[j].Container })
		w.Copies = dropNested(w.Copies)
		sort.Strings(w.Deletes)
		if w.Rebuild {
			*w = Work{Service: w.Service, Rebuild: true, Paths: w.Paths}
		}
		out = append(out, *w)
	}
	return out
}

// dropNested removes copies below a directory that is copied whole (a new
// directory and the files created in it), keeping the tar free of
// duplicates. copies are sorted by container path.
func dropNested(copies []Copy) []Copy {
	kept := map[string]bool{}
	var out []Copy
	for _, c := range copies {
		if !underKept(c.Container, kept) {
			out = append(out, c)
			kept[c.Container] = true
		}
	}
	return out
}

// underKept reports whether a parent directory of p is in kept.
func underKept(p string, kept map[string]bool) bool {
	for dir := path.Dir(p); ; dir = path.Dir(dir) {
		if kept[dir] {
			return true
		}
		if dir == "/" || dir == "." {
			return false
		}
	}
}
