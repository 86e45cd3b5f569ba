package convergence_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	"github.com/mycompose/mycompose/project"
)

// holderEngine is the fake engine plus one running container of another
// project that publishes host port 8080.
type holderEngine struct{ *fakeengine.Engine }

func (holderEngine) ListAllContainers(context.Context, bool) ([]convergence.Container, error) {
	c := convergence.Container{
		ID: "other", Name: "q-web-1", State: "running",
		Labels: map[string]string{project.LabelProject: "q", project.LabelService: "web"},
		Ports:  []convergence.ContainerPort{{IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp"}},
	}
	c.DecodeLabels()
	return []convergence.Container{c}, nil
}

func TestApplyNamesPortHolder(t *testing.T) {
	fake := fakeengine.New(map[string]string{"img": "sha256:1"})
	taken := fmt.Errorf("start container %q: %w", "x", &convergence.PortAllocatedError{HostPort: "8080",
		Err: errors.New("driver failed programming external connectivity on endpoint p-web-1 (abc): Bind for 0.0.0.0:8080 failed: port is already allocated")})
	fails := make([]error, 20)
	for i := range fails {
		fails[i] = taken
	}
	fake.FailNext("start container p-web-1", fails...)
	s := service("web", 1)
	s.Container.Ports = []project.PortBinding{{ContainerPort: 80, Protocol: "tcp", HostPort: "8080"}}
	p := newProject(s)
	eng := holderEngine{fake}
	ctx := context.Background()
	obs, err := convergence.Observe(ctx, eng, p)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := convergence.PlanUp(p, obs, convergence.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = (&convergence.Executor{Engine: eng}).Apply(ctx, plan)
	want := `start container "p-web-1": port 8080 is already allocated by container "q-web-1" (project "q", service "web"): ` +
		`publish another host port for "web", or stop that container first (mycompose -p q stop web)`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	if !errors.Is(err, convergence.ErrPortAllocated) {
		t.Error("the error no longer wraps ErrPortAllocated")
	}
	if strings.Contains(err.Error(), "driver failed") {
		t.Error("the engine's message is repeated")
	}
}
