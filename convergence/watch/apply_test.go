package watch

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// fakeEngine records what watch asks of the engine. With helper set, an
// exec of sh runs the helper protocol in Go; without, it fails as in an
// image that has no tar.
type fakeEngine struct {
	helper bool
	mu     sync.Mutex
	calls  []string
	files  map[string]map[string]string // container -> path -> content
}

func (f *fakeEngine) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeEngine) extract(id string, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			data, _ := io.ReadAll(tr)
			f.mu.Lock()
			if f.files[id] == nil {
				f.files[id] = map[string]string{}
			}
			f.files[id]["/"+h.Name] = fmt.Sprintf("%s %o", data, h.Mode&0o777)
			f.mu.Unlock()
		}
	}
}

func (f *fakeEngine) ListContainers(context.Context, string) ([]convergence.Container, error) {
	var out []convergence.Container
	for _, n := range []string{"p-web-1", "p-web-2"} {
		c := convergence.Container{ID: n, Name: n, State: "running", Labels: map[string]string{project.LabelService: "web"}}
		c.DecodeLabels() // as an engine does when it observes
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeEngine) CopyToContainer(_ context.Context, id, dst string, r io.Reader) error {
	f.record("copy %s %s", id, dst)
	return f.extract(id, r)
}

func (f *fakeEngine) Exec(ctx context.Context, id string, spec convergence.ExecSpec, stdio convergence.Stdio) (int, error) {
	if spec.Cmd[0] != "sh" || spec.Cmd[1] != "-c" || spec.Cmd[2] != helperScript {
		f.record("exec %s %s", id, strings.Join(spec.Cmd, " "))
		return 0, nil
	}
	if !f.helper {
		fmt.Fprintln(stdio.Stderr, "tar: not found")
		return 127, nil
	}
	f.record("helper %s", id)
	fmt.Fprintln(stdio.Stdout, "ready")
	in := bufio.NewReader(stdio.Stdin)
	for {
		var op string
		var n int
		if _, err := fmt.Fscanf(in, "%s %d\n", &op, &n); err != nil {
			return 0, nil
		}
		switch op {
		case "D":
			var paths []string
			for range n {
				p, _ := in.ReadString('\n')
				paths = append(paths, strings.TrimSuffix(p, "\n"))
			}
			f.record("helper-rm %s %s", id, strings.Join(paths, " "))
		case "T":
			f.record("helper-tar %s", id)
			if err := f.extract(id, io.LimitReader(in, int64(n))); err != nil {
				return 1, err
			}
		}
		fmt.Fprintln(stdio.Stdout, "ok")
	}
}

func (f *fakeEngine) StopContainer(_ context.Context, id string, _ *time.Duration) error {
	f.record("stop %s", id)
	return nil
}

func (f *fakeEngine) StartContainer(_ context.Context, id string) error {
	f.record("start %s", id)
	return nil
}

func (f *fakeEngine) Events(context.Context, string) (<-chan convergence.ContainerEvent, <-chan error) {
	return nil, nil
}

func (f *fakeEngine) ImageIDs(context.Context, []string) (map[string]string, error) { return nil, nil }
func (f *fakeEngine) RemoveImage(context.Context, string) error                     { return nil }

func (f *fakeEngine) sortedCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string(nil), f.calls...)
	sort.Strings(out)
	return out
}

// TestApplyBatch applies one batch (a changed file, a deleted one) to two
// replicas, through the helper and through the archive-API fallback.
func TestApplyBatch(t *testing.T) {
	for _, withHelper := range []bool{true, false} {
		t.Run(fmt.Sprintf("helper=%v", withHelper), func(t *testing.T) {
			dir, rules := testRules(t, "", project.WatchRule{Path: "src", Action: "sync+exec", Target: "/app",
				Exec: &project.WatchExec{Command: []string{"reload"}}})
			write(t, filepath.Join(dir, "src", "a.txt"), "A")
			os.Chmod(filepath.Join(dir, "src", "a.txt"), 0o640)
			eng := &fakeEngine{helper: withHelper, files: map[string]map[string]string{}}
			var events []string
			w := newWatcher(Options{Project: &project.Project{Name: "p"}, Engine: eng,
				Events: func(e convergence.Event) { events = append(events, e.Status) }}, rules)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := w.start(ctx); err != nil {
				t.Fatal(err)
			}
			w.apply(ctx, map[string]Op{filepath.Join(dir, "src", "a.txt"): OpChange, filepath.Join(dir, "src", "gone"): OpChange})
			want := []string{"exec p-web-1 reload", "exec p-web-2 reload"}
			if withHelper {
				want = append(want, "helper p-web-1", "helper p-web-2", "helper-rm p-web-1 /app/gone", "helper-rm p-web-2 /app/gone",
					"helper-tar p-web-1", "helper-tar p-web-2")
			} else {
				want = append(want, "copy p-web-1 /", "copy p-web-2 /", "exec p-web-1 rm -rf -- /app/gone", "exec p-web-2 rm -rf -- /app/gone")
			}
			sort.Strings(want)
			if got := eng.sortedCalls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("engine calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, id := range []string{"p-web-1", "p-web-2"} {
				if got := eng.files[id]["/app/a.txt"]; got != "A 640" {
					t.Errorf("%s:/app/a.txt = %q, want content A with mode 640", id, got)
				}
			}
			if strings.Join(events, ",") != "Watching,Synced,Executed" {
				t.Errorf("events %v, want Watching, Synced, Executed", events)
			}
		})
	}
}
