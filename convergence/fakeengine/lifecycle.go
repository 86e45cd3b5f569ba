package fakeengine

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// The fake's Runtime keeps per-container logs, exit codes and files in
// side tables, so that tests can script what the commands observe.

var _ convergence.Runtime = (*Engine)(nil)

// lifecycles maps each *Engine to its Runtime side tables. They live here
// rather than in Engine so that the Runtime stays an add-on of the fake.
var lifecycles sync.Map

// lifecycle holds the Runtime side tables of one fake, guarded by its mu.
type lifecycle struct {
	logs   map[string][]string          // container name -> log lines
	files  map[string]map[string][]byte // container name -> path -> content
	events chan convergence.ContainerEvent
}

func (e *Engine) lc() *lifecycle {
	if l, ok := lifecycles.Load(e); ok {
		return l.(*lifecycle)
	}
	l, _ := lifecycles.LoadOrStore(e, &lifecycle{logs: map[string][]string{},
		files: map[string]map[string][]byte{}, events: make(chan convergence.ContainerEvent, 64)})
	return l.(*lifecycle)
}

// SetLogs sets the log lines a container returns.
func (e *Engine) SetLogs(name string, lines ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lc().logs[name] = lines
}

// Emit delivers an event to Events subscribers, its labels decoded from
// its attributes as the adapter does.
func (e *Engine) Emit(ev convergence.ContainerEvent) {
	ev.Replica = project.ParseReplicaLabels(ev.Attributes)
	e.mu.Lock()
	ch := e.lc().events
	e.mu.Unlock()
	ch <- ev
}

// OrderedCalls returns the calls made so far in the order they were made,
// without resetting the log, for tests of ordering.
func (e *Engine) OrderedCalls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.calls...)
}

// ListAllContainers implements convergence.Runtime.
func (e *Engine) ListAllContainers(_ context.Context, all bool) ([]convergence.Container, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []convergence.Container
	for _, c := range e.containers {
		if _, ok := c.Labels[project.LabelProject]; ok && (all || c.State == "running") {
			cp := *c
			cp.Labels = copyMap(c.Labels)
			out = append(out, cp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ContainerState implements convergence.Runtime.
func (e *Engine) ContainerState(_ context.Context, id string) (convergence.ContainerDetails, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return convergence.ContainerDetails{}, err
	}
	return convergence.ContainerDetails{ID: c.ID, Name: c.Name, Image: c.Image, Labels: copyMap(c.Labels), Replica: c.Replica,
		Status: c.State, Running: c.State == "running" || c.State == "paused", Paused: c.State == "paused",
		ExitCode: c.ExitCode}, nil
}

// ContainerLogs implements convergence.Runtime: the lines set by SetLogs,
// all on stdout.
func (e *Engine) ContainerLogs(_ context.Context, id string, _ convergence.LogOptions, stdout, _ io.Writer) error {
	e.mu.Lock()
	c, err := e.container(id)
	var lines []string
	if err == nil {
		lines = e.lc().logs[c.Name]
	}
	e.mu.Unlock()
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := io.WriteString(stdout, l+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// setState records a call on a container and moves it to state.
func (e *Engine) setState(id, call, from, to string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return err
	}
	if err := e.record("%s container %s", call, c.Name); err != nil {
		return err
	}
	if from == "" || c.State == from {
		c.State = to
		return nil
	}
	if from == "running" {
		return fmt.Errorf("%s container %q: %w", call, c.Name, convergence.ErrNotRunning)
	}
	return fmt.Errorf("%s container %q: it is %s, not %s", call, c.Name, c.State, from)
}

// KillContainer implements convergence.Runtime.
func (e *Engine) KillContainer(_ context.Context, id, _ string) error {
	return e.setState(id, "kill", "running", "exited")
}

// PauseContainer implements convergence.Runtime.
func (e *Engine) PauseContainer(_ context.Context, id string) error {
	return e.setState(id, "pause", "running", "paused")
}

// UnpauseContainer implements convergence.Runtime.
func (e *Engine) UnpauseContainer(_ context.Context, id string) error {
	return e.setState(id, "unpause", "paused", "running")
}

// WaitContainer implements convergence.Runtime: it answers at once with the
// container's exit code, as SetState set it (the fake has no processes).
func (e *Engine) WaitContainer(_ context.Context, id string, _ convergence.WaitCondition) <-chan convergence.WaitResult {
	ch := make(chan convergence.WaitResult, 1)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		ch <- convergence.WaitResult{Err: err}
		return ch
	}
	ch <- convergence.WaitResult{Code: c.ExitCode}
	return ch
}

// TopContainer implements convergence.Runtime with a one-process table.
func (e *Engine) TopContainer(_ context.Context, id string, _ []string) (convergence.Processes, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.container(id); err != nil {
		return convergence.Processes{}, err
	}
	return convergence.Processes{Titles: []string{"PID", "CMD"}, Rows: [][]string{{"1", "sleep 3600"}}}, nil
}

// Exec implements convergence.Runtime: it records the command and returns
// 0.
func (e *Engine) Exec(_ context.Context, id string, spec convergence.ExecSpec, _ convergence.Stdio) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return 0, err
	}
	if err := e.record("exec %s %s", c.Name, strings.Join(spec.Cmd, " ")); err != nil {
		return 0, err
	}
	if spec.Detach {
		return 0, nil
	}
	return 0, nil
}

// AttachContainer implements convergence.Runtime: it writes the logs set
// for the container, then reports the end of the output.
func (e *Engine) AttachContainer(ctx context.Context, id string, stdio convergence.Stdio) (<-chan error, error) {
	done := make(chan error, 1)
	done <- e.ContainerLogs(ctx, id, convergence.LogOptions{}, stdio.Stdout, stdio.Stderr)
	return done, nil
}

// Events implements convergence.Runtime: it delivers what Emit sends.
func (e *Engine) Events(ctx context.Context, _ string) (<-chan convergence.ContainerEvent, <-chan error) {
	e.mu.Lock()
	in := e.lc().events
	e.mu.Unlock()
	out := make(chan convergence.ContainerEvent)
	errs := make(chan error, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			case ev := <-in:
				select {
				case out <- ev:
				case <-ctx.Done():
					errs <- ctx.Err()
					return
				}
			}
		}
	}()
	return out, errs
}

// StatContainerPath implements convergence.Runtime over the fake's files.
func (e *Engine) StatContainerPath(_ context.Context, id, p string) (convergence.PathStat, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return convergence.PathStat{}, err
	}
	data, ok := e.lc().files[c.Name][path.Clean(p)]
	if !ok {
		return convergence.PathStat{}, fmt.Errorf("path %q: %w", p, convergence.ErrNotFound)
	}
	return convergence.PathStat{Name: path.Base(p), Size: int64(len(data)), Mode: 0o644}, nil
}

// DeliversFiles is false: the fake has no host directory to bind-mount, so
// the executor copies secrets and configs in, as for a remote engine.
func (e *Engine) DeliversFiles() bool { return false }

// CopyToContainer implements convergence.Runtime: regular files of the tar
// stream land in the fake's files under dstDir.
func (e *Engine) CopyToContainer(_ context.Context, id, dstDir string, tarStream io.Reader) error {
	tr := tar.NewReader(tarStream)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.container(id)
	if err != nil {
		return err
	}
	if e.lc().files[c.Name] == nil {
		e.lc().files[c.Name] = map[string][]byte{}
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return e.record("copy to container %s %s", c.Name, dstDir)
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		e.lc().files[c.Name][path.Join(dstDir, h.Name)] = data
	}
}

// CopyFromContainer implements convergence.Runtime for single files.
func (e *Engine) CopyFromContainer(ctx context.Context, id, srcPath string) (io.ReadCloser, convergence.PathStat, error) {
	st, err := e.StatContainerPath(ctx, id, srcPath)
	if err != nil {
		return nil, st, err
	}
	e.mu.Lock()
	c, _ := e.container(id)
	data := e.lc().files[c.Name][path.Clean(srcPath)]
	e.mu.Unlock()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: st.Name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()
	return io.NopCloser(&buf), st, nil
}

// InspectImage implements convergence.Runtime.
func (e *Engine) InspectImage(_ context.Context, ref string) (convergence.ImageInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for r, id := range e.images {
		if r == ref || id == ref {
			return convergence.ImageInfo{ID: id, RepoTags: []string{r}}, nil
		}
	}
	return convergence.ImageInfo{}, fmt.Errorf("image %q: %w", ref, convergence.ErrNotFound)
}
