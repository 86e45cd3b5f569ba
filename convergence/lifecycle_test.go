package convergence_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	"github.com/mycompose/mycompose/project"
)

// lcContainer is an observed container of project p for the lifecycle plans.
func lcContainer(service string, n int, state string, deps ...project.Dependency) convergence.Container {
	c := convergence.Container{
		ID: fmt.Sprintf("%s%d", service, n), Name: project.ContainerName("p", service, n), State: state,
		Labels: map[string]string{
			project.LabelProject: "p", project.LabelService: service, project.LabelNumber: fmt.Sprint(n),
			project.LabelOneOff: project.OneOffFalse, project.LabelDependsOn: project.DependsOnLabel(deps),
		},
	}
	c.DecodeLabels()
	return c
}

func lcOneOff(service, state string) convergence.Container {
	c := lcContainer(service, 0, state)
	c.ID, c.Name = service+"-oneoff", "p-"+service+"-run-0123456789ab"
	c.Labels[project.LabelOneOff] = project.OneOffTrue
	delete(c.Labels, project.LabelNumber)
	c.DecodeLabels()
	return c
}

func lcDep(service string, restart bool) project.Dependency {
	return project.Dependency{Service: service, Condition: project.ConditionStarted, Restart: restart, Required: true}
}

// lcChain is db <- web (restart: true) <- worker (no restart), all running,
// plus a running one-off of web.
func lcChain(state string) []convergence.Container {
	return []convergence.Container{
		lcContainer("db", 1, state),
		lcContainer("web", 1, state, lcDep("db", true)),
		lcContainer("web", 2, state, lcDep("db", true)),
		lcContainer("worker", 1, state, lcDep("web", false)),
		lcOneOff("web", "running"),
	}
}

func TestPlanStopStopsDependentsFirstAndSkipsOneOffs(t *testing.T) {
	cs := lcChain("running")
	got := planText(convergence.PlanStop(cs, convergence.DependenciesOf(nil, cs), nil, nil))
	want := `stop container p-db-1 (stop) after [stop container p-web-1, stop container p-web-2, stop container p-worker-1]
stop container p-web-1 (stop) after [stop container p-worker-1]
stop container p-web-2 (stop) after [stop container p-worker-1]
stop container p-worker-1 (stop)
`
	if got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	got = planText(convergence.PlanStop(cs, convergence.DependenciesOf(nil, cs), []string{"web"}, nil))
	want = "stop container p-web-1 (stop)\nstop container p-web-2 (stop)\n"
	if got != want {
		t.Errorf("stop web only:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanStartStartsDependenciesFirstAndOnlyStopped(t *testing.T) {
	cs := lcChain("exited")
	cs[0].State = "running" // db already runs: nothing to wait for there
	graph := convergence.DependenciesOf(nil, cs)
	got := planText(convergence.PlanStart(cs, graph, graph.WithDependencies([]string{"worker"})))
	want := `start container p-web-1 (exited)
start container p-web-2 (exited)
start container p-worker-1 (exited) after [start container p-web-1, start container p-web-2]
`
	if got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestRestartDependentsFollowRestartTrueOnly(t *testing.T) {
	graph := convergence.DependenciesOf(nil, lcChain("running"))
	if got := strings.Join(graph.WithRestartDependents([]string{"db"}), ","); got != "db,web" {
		t.Errorf("restart db restarts %s, want db,web (worker's dependency has no restart: true)", got)
	}
	if got := strings.Join(graph.WithRestartDependents([]string{"web"}), ","); got != "web" {
		t.Errorf("restart web restarts %s, want web", got)
	}
}

func TestPlanRestartOrdersByDependencies(t *testing.T) {
	cs := lcChain("running")
	graph := convergence.DependenciesOf(nil, cs)
	got := planText(convergence.PlanRestart(cs, graph, graph.WithRestartDependents([]string{"db"}), nil))
	want := `stop container p-db-1 (restart)
start container p-db-1 (restart) after [stop container p-db-1]
stop container p-web-1 (restart) after [start container p-db-1]
start container p-web-1 (restart) after [stop container p-web-1]
stop container p-web-2 (restart) after [start container p-db-1]
start container p-web-2 (restart) after [stop container p-web-2]
`
	if got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestDependenciesPreferTheProject(t *testing.T) {
	p := &project.Project{Name: "p", Services: []project.Service{
		{Name: "db"}, {Name: "web", DependsOn: []project.Dependency{lcDep("db", false)}},
	}}
	graph := convergence.DependenciesOf(p, lcChain("running")) // labels say restart: true
	if got := strings.Join(graph.WithRestartDependents([]string{"db"}), ","); got != "db" {
		t.Errorf("restart db restarts %s, want db: the compose file no longer asks for web", got)
	}
}

func TestDependencyCycleInLabelsDoesNotDeadlock(t *testing.T) {
	cs := []convergence.Container{
		lcContainer("a", 1, "running", lcDep("b", false)),
		lcContainer("b", 1, "running", lcDep("a", false)),
	}
	plan := convergence.PlanStop(cs, convergence.DependenciesOf(nil, cs), nil, nil)
	for _, a := range plan.Actions {
		if len(a.After) > 0 {
			t.Errorf("%s waits for %v: a cycle must not order", a, a.After)
		}
	}
}

// TestRestartAppliedInOrder applies a restart plan on the fake engine: each
// service's containers stop only once the services it depends on are back.
func TestRestartAppliedInOrder(t *testing.T) {
	ctx := context.Background()
	eng := fakeengine.New(map[string]string{"img": "sha256:aaaa"})
	var cs []convergence.Container
	for _, c := range lcChain("running")[:4] {
		id, err := eng.CreateContainer(ctx, convergence.CreateSpec{Name: c.Name, Spec: project.ContainerSpec{Image: "img", Labels: c.Labels}})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	cs, _ = eng.ListContainers(ctx, "p")
	before := len(eng.OrderedCalls())
	graph := convergence.DependenciesOf(nil, cs)
	plan := convergence.PlanRestart(cs, graph, graph.WithRestartDependents([]string{"db"}), nil)
	if err := (&convergence.Executor{Engine: eng}).Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}
	calls := eng.OrderedCalls()[before:]
	pos := map[string]int{}
	for i, c := range calls {
		pos[c] = i
	}
	for _, order := range [][2]string{
		{"stop container p-db-1", "start container p-db-1"},
		{"start container p-db-1", "stop container p-web-1"},
		{"start container p-db-1", "stop container p-web-2"},
		{"stop container p-web-1", "start container p-web-1"},
	} {
		if pos[order[0]] >= pos[order[1]] {
			t.Errorf("%q did not happen before %q: %v", order[0], order[1], calls)
		}
	}
	if _, ok := pos["stop container p-worker-1"]; ok {
		t.Errorf("worker was restarted, but its depends_on has no restart: true: %v", calls)
	}
	if got := strings.Join(eng.Names(), ","); strings.Contains(got, "exited") {
		t.Errorf("containers after restart: %s", got)
	}
}

func TestPlansTakeTheTimeout(t *testing.T) {
	d := 3 * time.Second
	cs := lcChain("running")
	for _, a := range convergence.PlanStop(cs, convergence.DependenciesOf(nil, cs), nil, &d).Actions {
		if a.Timeout == nil || *a.Timeout != d {
			t.Errorf("%s: timeout %v", a, a.Timeout)
		}
	}
}

// planText is the plan's golden text, edges included.
func planText(p *convergence.Plan) string { return p.String() }
