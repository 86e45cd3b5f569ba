package convergence_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	"github.com/mycompose/mycompose/project"
)

// hookRecorder records the hooks run and fails those whose command is
// "fail".
type hookRecorder struct {
	mu    sync.Mutex
	specs []convergence.ExecSpec
}

func (r *hookRecorder) WaitContainer(context.Context, string, convergence.WaitCondition) <-chan convergence.WaitResult {
	ch := make(chan convergence.WaitResult, 1)
	ch <- convergence.WaitResult{}
	return ch
}

func (r *hookRecorder) ContainerLogs(context.Context, string, convergence.LogOptions, io.Writer, io.Writer) error {
	return nil
}

func (r *hookRecorder) Exec(_ context.Context, _ string, spec convergence.ExecSpec, stdio convergence.Stdio) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.specs = append(r.specs, spec)
	if spec.Cmd[0] == "fail" {
		stdio.Stderr.Write([]byte("it broke\n"))
		return 2, nil
	}
	return 0, nil
}

// TestHooksExecSpec: post_start hooks run in order after the start with
// every field of the hook (privileged included); pre_stop before a stop;
// a failing hook's error names it and carries its output.
func TestHooksExecSpec(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:img"})
	svc := service("web", 1)
	svc.PostStart = []project.Hook{
		{Command: []string{"first"}, User: "42", Privileged: true, WorkingDir: "/w", Env: []string{"A=b"}},
		{Command: []string{"second"}},
	}
	svc.PreStop = []project.Hook{{Command: []string{"bye"}}}
	p := newProject(svc)
	rec := &hookRecorder{}
	ctx := context.Background()
	apply := func(plan *convergence.Plan) error {
		return (&convergence.Executor{Engine: eng, Project: p, Hooks: rec}).Apply(ctx, plan)
	}
	obs, err := convergence.Observe(ctx, eng, p)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := convergence.PlanUp(p, obs, convergence.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := apply(plan); err != nil {
		t.Fatal(err)
	}
	if len(rec.specs) != 2 || rec.specs[0].Cmd[0] != "first" || !rec.specs[0].Privileged || rec.specs[0].User != "42" ||
		rec.specs[0].WorkingDir != "/w" || rec.specs[0].Env[0] != "A=b" || rec.specs[1].Cmd[0] != "second" {
		t.Fatalf("hooks run: %+v", rec.specs)
	}
	cs, _ := eng.ListContainers(ctx, "p")
	if err := apply(convergence.PlanStop(cs, nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.specs) != 3 || rec.specs[2].Cmd[0] != "bye" {
		t.Fatalf("pre_stop not run: %+v", rec.specs)
	}

	p.Services[0].PostStart = []project.Hook{{Command: []string{"fail"}}}
	cs, _ = eng.ListContainers(ctx, "p")
	err = apply(convergence.PlanStart(cs, nil, nil))
	if !errors.Is(err, convergence.ErrHookFailed) || !strings.Contains(err.Error(), "post_start hook 1 (fail) exited with status 2:\nit broke") {
		t.Fatalf("err %v", err)
	}
}
