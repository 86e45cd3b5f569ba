package convergence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mycompose/mycompose/project"
)

// HookRunner runs the lifecycle hooks: a command in a running container
// (post_start, pre_stop), and the pre_start init containers, waited for
// and read; Runtime's methods of the same names.
type HookRunner interface {
	Exec(ctx context.Context, id string, spec ExecSpec, stdio Stdio) (int, error)
	WaitContainer(ctx context.Context, id string, cond WaitCondition) <-chan WaitResult
	ContainerLogs(ctx context.Context, id string, opts LogOptions, stdout, stderr io.Writer) error
}

// ErrHookFailed is wrapped by the error of a lifecycle hook that exited
// non-zero.
var ErrHookFailed = errors.New("lifecycle hook failed")

// maxHookOutput bounds the output of a hook kept for its error message.
const maxHookOutput = 4 << 10

// hookOutput keeps the last maxHookOutput bytes written to it.
type hookOutput struct{ buf bytes.Buffer }

func (h *hookOutput) Write(p []byte) (int, error) {
	h.buf.Write(p)
	if extra := h.buf.Len() - maxHookOutput; extra > 0 {
		h.buf.Next(extra)
	}
	return len(p), nil
}

// serviceHooks returns the hooks of kind ("post_start" or "pre_stop") of
// the service of a container action, none for one-offs (Docker Compose runs
// them for the service's replicas only) or without a project.
func (r *applyRun) serviceHooks(a *Action, kind string) []project.Hook {
	if r.x.Project == nil || r.x.Hooks == nil || a.OneOff {
		return nil
	}
	svc, ok := r.x.Project.Service(a.Service)
	if !ok {
		return nil
	}
	if kind == "post_start" {
		return svc.PostStart
	}
	return svc.PreStop
}

// runHooks execs each hook in the container, in order, as Docker Compose
// does: a hook that exits non-zero fails the action, with its output.
func (r *applyRun) runHooks(a *Action, id, kind string) error {
	for i, h := range r.serviceHooks(a, kind) {
		var out hookOutput
		spec := ExecSpec{Cmd: h.Command, Env: h.Env, User: h.User, WorkingDir: h.WorkingDir, Privileged: h.Privileged}
		var code int
		err := r.call(func(ctx context.Context) error {
			var err error
			code, err = r.x.Hooks.Exec(ctx, id, spec, Stdio{Stdout: &out, Stderr: &out})
			return err
		})
		if err != nil {
			return fmt.Errorf("container %q: %s hook %d (%s): %w", a.Name, kind, i+1, strings.Join(h.Command, " "), err)
		}
		if code != 0 {
			msg := fmt.Sprintf("container %q: %s hook %d (%s) exited with status %d", a.Name, kind, i+1, strings.Join(h.Command, " "), code)
			if o := strings.TrimSpace(out.buf.String()); o != "" {
				msg += ":\n" + o
			}
			return fmt.Errorf("%s%.0w", msg, ErrHookFailed)
		}
	}
	return nil
}

// preStop runs the pre_stop hooks of a container about to be stopped; a
// container that is not running has nothing to run them in.
func (r *applyRun) preStop(a *Action, id string) error {
	err := r.runHooks(a, id, "pre_stop")
	if errors.Is(err, ErrNotRunning) || IsNotFound(err) {
		return nil
	}
	return err
}
