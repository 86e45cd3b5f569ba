package convergence_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	"github.com/mycompose/mycompose/project"
)

func service(name string, n int, deps ...string) project.Service {
	s := project.Service{
		Name: name, Replicas: n, ConfigHash: "hash-" + name,
		Container: project.ContainerSpec{Image: "img"},
		Networks:  []project.NetworkAttachment{{Key: "default", Name: "p_default"}},
	}
	for _, d := range deps {
		s.DependsOn = append(s.DependsOn, project.Dependency{Service: d, Condition: project.ConditionStarted, Required: true})
	}
	return s
}

func newProject(services ...project.Service) *project.Project {
	return &project.Project{
		Name: "p", WorkingDir: "/w", Services: services,
		Networks: []project.Network{{Key: "default", Name: "p_default"}},
	}
}

// converge observes, plans and applies once, returning the plan.
func converge(t *testing.T, eng *fakeengine.Engine, p *project.Project, opts convergence.UpOptions) *convergence.Plan {
	t.Helper()
	ctx := context.Background()
	obs, err := convergence.Observe(ctx, eng, p)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := convergence.PlanUp(p, obs, opts)
	if err != nil {
		t.Fatal(err)
	}
	x := &convergence.Executor{Engine: eng}
	if err := x.Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}
	return plan
}

func mutating(calls []string) []string {
	var out []string
	for _, c := range calls {
		if !strings.HasPrefix(c, "list ") && c != "image ids" {
			out = append(out, c)
		}
	}
	return out
}

func TestApplyFreshThenNoop(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := newProject(service("db", 1), service("web", 2, "db"))
	converge(t, eng, p, convergence.UpOptions{})
	want := []string{
		"create container p-db-1", "create container p-web-1", "create container p-web-2", "create network p_default",
		"image ids", "list containers", "list networks", "list networks", "list volumes",
		"start container p-db-1", "start container p-web-1", "start container p-web-2",
	}
	if got := eng.Calls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	plan := converge(t, eng, p, convergence.UpOptions{})
	if !plan.Empty() {
		t.Errorf("second up planned:\n%s", plan)
	}
	if got := mutating(eng.Calls()); len(got) != 0 {
		t.Errorf("no-op up made mutating calls: %v", got)
	}
}

func TestApplyScaleOneToThirty(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	converge(t, eng, newProject(service("web", 1)), convergence.UpOptions{})
	eng.Calls()
	converge(t, eng, newProject(service("web", 30)), convergence.UpOptions{})
	counts := map[string]int{}
	for _, c := range mutating(eng.Calls()) {
		counts[strings.Join(strings.Fields(c)[:2], " ")]++
	}
	if counts["create container"] != 29 || counts["start container"] != 29 || len(counts) != 2 {
		t.Errorf("scale 1→30 calls = %v, want 29 creates and 29 starts only", counts)
	}
	if names := eng.Names(); len(names) != 30 || names[0] != "p-web-1 running" {
		t.Errorf("containers after scale: %v", names)
	}
}

func TestApplyRecreateKeepsNameAndNumber(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	converge(t, eng, newProject(service("web", 1)), convergence.UpOptions{})
	eng.Calls()
	changed := service("web", 1)
	changed.ConfigHash = "hash-2"
	converge(t, eng, newProject(changed), convergence.UpOptions{})
	got := mutating(eng.Calls())
	want := []string{
		"create container 000000000000_p-web-1", "remove container p-web-1",
		"rename container 000000000000_p-web-1 to p-web-1", "start container p-web-1", "stop container p-web-1",
	}
	if fmt.Sprint(trimIDs(got)) != fmt.Sprint(want) {
		t.Errorf("recreate calls:\n%v\nwant:\n%v", got, want)
	}
	if names := eng.Names(); len(names) != 1 || names[0] != "p-web-1 running" {
		t.Errorf("after recreate: %v", names)
	}
}

// TestApplyRecreateFailureRestartsOld checks that a recreate whose new
// container cannot be created (the old one is stopped meanwhile) leaves the
// old one running, with the error.
func TestApplyRecreateFailureRestartsOld(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	converge(t, eng, newProject(service("web", 1)), convergence.UpOptions{})
	eng.Calls()
	changed := service("web", 1)
	changed.ConfigHash = "hash-2"
	p := newProject(changed)
	obs, err := convergence.Observe(context.Background(), eng, p)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := convergence.PlanUp(p, obs, convergence.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	eng.FailNext("create container", boom)
	if err := (&convergence.Executor{Engine: eng}).Apply(context.Background(), plan); !errors.Is(err, boom) {
		t.Fatalf("apply: %v, want the create's error", err)
	}
	if names := eng.Names(); len(names) != 1 || names[0] != "p-web-1 running" {
		t.Errorf("after a failed recreate: %v, want the old container running", names)
	}
}

// trimIDs replaces the 12-hex temporary-name prefix with zeros.
func trimIDs(calls []string) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		fields := strings.Fields(c)
		for j, f := range fields {
			if k := strings.Index(f, "_p-"); k == 12 {
				fields[j] = "000000000000" + f[k:]
			}
		}
		out[i] = strings.Join(fields, " ")
	}
	return out
}

func TestApplyDependencyFailureSkipsDependents(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	eng.FailNext("start container p-db-1", errors.New("boom"))
	p := newProject(service("db", 1), service("web", 1, "db"))
	obs, _ := convergence.Observe(context.Background(), eng, p)
	plan, _ := convergence.PlanUp(p, obs, convergence.UpOptions{})
	err := (&convergence.Executor{Engine: eng}).Apply(context.Background(), plan)
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), `start container "p-db-1"`) {
		t.Fatalf("error = %v", err)
	}
	for _, c := range eng.Calls() {
		if c == "start container p-web-1" {
			t.Error("web started although its dependency failed")
		}
	}
	// The next up converges.
	converge(t, eng, p, convergence.UpOptions{})
	if names := eng.Names(); fmt.Sprint(names) != "[p-db-1 running p-web-1 running]" {
		t.Errorf("after retry: %v", names)
	}
}

func TestApplyRetriesPortRace(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	eng.FailNext("start container p-web-1", convergence.ErrPortAllocated, convergence.ErrPortAllocated)
	s := service("web", 1)
	s.Container.Ports = []project.PortBinding{{ContainerPort: 80, Protocol: "tcp"}}
	converge(t, eng, newProject(s), convergence.UpOptions{})
	starts := 0
	for _, c := range eng.Calls() {
		if c == "start container p-web-1" {
			starts++
		}
	}
	if starts != 3 {
		t.Errorf("start attempts = %d, want 3 (two port races then success)", starts)
	}
}

func TestApplyCancelledStartsNothingNew(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := newProject(service("web", 3))
	obs, _ := convergence.Observe(context.Background(), eng, p)
	plan, _ := convergence.PlanUp(p, obs, convergence.UpOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := (&convergence.Executor{Engine: eng}).Apply(ctx, plan)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if got := mutating(eng.Calls()); len(got) != 0 {
		t.Errorf("cancelled apply made calls: %v", got)
	}
}

func TestApplyEventsAreSerialized(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := newProject(service("web", 10))
	obs, _ := convergence.Observe(context.Background(), eng, p)
	plan, _ := convergence.PlanUp(p, obs, convergence.UpOptions{})
	var mu sync.Mutex
	inside := 0
	started := 0
	x := &convergence.Executor{Engine: eng, Parallel: 4, Events: func(e convergence.Event) {
		if !mu.TryLock() {
			t.Error("events delivered concurrently")
			return
		}
		inside++
		if e.Status == "Started" {
			started++
		}
		mu.Unlock()
	}}
	if err := x.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if started != 10 {
		t.Errorf("Started events = %d, want 10", started)
	}
}

func TestApplyDownRemovesEverythingIdempotently(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := newProject(service("db", 1), service("web", 2, "db"))
	p.Volumes = []project.Volume{{Key: "data", Name: "p_data"}}
	converge(t, eng, p, convergence.UpOptions{})
	for i := 0; i < 2; i++ {
		obs, err := convergence.ObserveProject(context.Background(), eng, "p")
		if err != nil {
			t.Fatal(err)
		}
		plan := convergence.PlanDown(obs, convergence.DownOptions{RemoveVolumes: true})
		if err := (&convergence.Executor{Engine: eng}).Apply(context.Background(), plan); err != nil {
			t.Fatalf("down #%d: %v", i+1, err)
		}
	}
	if names := eng.Names(); len(names) != 0 {
		t.Errorf("containers left: %v", names)
	}
	obs, _ := convergence.ObserveProject(context.Background(), eng, "p")
	if len(obs.Networks) != 0 || len(obs.Volumes) != 0 {
		t.Errorf("left: %+v %+v", obs.Networks, obs.Volumes)
	}
}

func TestApplyAdoptsItsOwnReplicaOnNameConflict(t *testing.T) {
	// A killed run's create landed after this run observed: the plan creates
	// p-web-1 again, finds the name taken by the same replica, and adopts it.
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := newProject(service("web", 1))
	obs, _ := convergence.Observe(context.Background(), eng, p)
	plan, _ := convergence.PlanUp(p, obs, convergence.UpOptions{})
	converge(t, eng, p, convergence.UpOptions{})
	eng.Kill("p-web-1")
	if err := (&convergence.Executor{Engine: eng}).Apply(context.Background(), plan); err != nil {
		t.Fatalf("apply with the replica already created: %v", err)
	}
	if names := eng.Names(); fmt.Sprint(names) != "[p-web-1 running]" {
		t.Errorf("containers: %v", names)
	}

	// A foreign container holding the name is an error, not adopted.
	other := service("web", 1)
	other.ConfigHash = "different"
	op := newProject(other)
	plan2, _ := convergence.PlanUp(op, convergence.Observed{ImageIDs: map[string]string{"img": "sha256:1"}}, convergence.UpOptions{})
	err := (&convergence.Executor{Engine: eng}).Apply(context.Background(), plan2)
	if err == nil || !strings.Contains(err.Error(), "already in use by a container that is not this replica") {
		t.Errorf("foreign name holder: %v", err)
	}
}

func TestApplyWaitsForConditions(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	initSvc := service("init", 1)
	app := service("app", 1)
	app.DependsOn = []project.Dependency{{Service: "init", Condition: project.ConditionCompleted, Required: true}}
	p := newProject(initSvc, app)
	obs, _ := convergence.Observe(context.Background(), eng, p)
	plan, _ := convergence.PlanUp(p, obs, convergence.UpOptions{})
	done := make(chan error, 1)
	var events []string
	record := func(e convergence.Event) {
		events = append(events, string(e.Object)+" "+e.Name+" "+string(e.Status)+" "+e.Detail)
	}
	go func() { done <- (&convergence.Executor{Engine: eng, Events: record}).Apply(context.Background(), plan) }()
	// init runs, then exits 0: only then may app start. Once the executor
	// has read init's state twice while it ran, it has decided to wait.
	waitFor(t, "two checks of init's condition", func() bool { return conditionChecks(eng) >= 2 })
	if containsState(eng.Names(), "p-app-1 running") {
		t.Fatal("app started before init completed")
	}
	eng.SetState("p-init-1", "exited", "", 0)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !containsState(eng.Names(), "p-app-1 running") {
		t.Errorf("app not started: %v", eng.Names())
	}
	// The wait is shown on the dependency's container, not its service.
	if !containsState(events, "Container p-init-1 Waiting for completion") || !containsState(events, "Container p-init-1 Exited ") {
		t.Errorf("events: %q", events)
	}
	for _, e := range events {
		if strings.HasPrefix(e, "Container init ") {
			t.Errorf("event names the service: %q", e)
		}
	}

	// A non-zero exit fails the dependent with the code.
	eng2 := fakeengine.New(map[string]string{"img": "sha256:1"})
	obs2, _ := convergence.Observe(context.Background(), eng2, p)
	plan2, _ := convergence.PlanUp(p, obs2, convergence.UpOptions{})
	go func() { done <- (&convergence.Executor{Engine: eng2}).Apply(context.Background(), plan2) }()
	waitFor(t, "a check of init's condition", func() bool { return conditionChecks(eng2) >= 1 })
	eng2.SetState("p-init-1", "exited", "", 3)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "exited with code 3") {
		t.Errorf("error = %v", err)
	}
}

// conditionChecks counts the state reads since init started: the
// executor's checks of its condition.
func conditionChecks(eng *fakeengine.Engine) int {
	n, started := 0, false
	for _, c := range eng.OrderedCalls() {
		switch {
		case c == "start container p-init-1":
			started = true
		case started && c == "list containers":
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func containsState(names []string, s string) bool {
	for _, n := range names {
		if n == s {
			return true
		}
	}
	return false
}

func TestApplyRecreatesChangedNetworkKeepingContainers(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := newProject(service("web", 2))
	p.Networks[0].ConfigHash = "v1"
	converge(t, eng, p, convergence.UpOptions{})
	eng.Calls()
	p.Networks[0].ConfigHash = "v2"
	plan := converge(t, eng, p, convergence.UpOptions{})
	if got := strings.TrimSpace(plan.String()); got != "recreate network p_default (config changed)" {
		t.Fatalf("plan:\n%s", got)
	}
	want := []string{
		"connect container p-web-1 to p_default", "connect container p-web-2 to p_default", "create network p_default",
		"disconnect container p-web-1 from p_default", "disconnect container p-web-2 from p_default",
		"remove network " + strings.Repeat("0", 63) + "1",
		"start container p-web-1", "start container p-web-2", "stop container p-web-1", "stop container p-web-2",
	}
	if got := mutating(eng.Calls()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if names := eng.Names(); fmt.Sprint(names) != "[p-web-1 running p-web-2 running]" {
		t.Errorf("containers: %v", names)
	}
	if plan := converge(t, eng, p, convergence.UpOptions{}); !plan.Empty() {
		t.Errorf("after recreate, plan:\n%s", plan)
	}
}

// One service of several fails: the others converge, and the error names
// the failed service, the one not started because of it, and keeps every
// engine error reachable with errors.Is.
func TestApplyPartialFailureNamesEachService(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	eng.FailNext("start container p-db-1", convergence.ErrNotFound)
	eng.FailNext("start container p-cache-1", errors.New("port taken"))
	p := newProject(service("db", 1), service("web", 1, "db"), service("cache", 1), service("ok", 1))
	obs, _ := convergence.Observe(context.Background(), eng, p)
	plan, _ := convergence.PlanUp(p, obs, convergence.UpOptions{})
	err := (&convergence.Executor{Engine: eng}).Apply(context.Background(), plan)
	var pe *convergence.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is no PartialError", err)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	if want := "failed: cache, db; not started because what they depend on failed: web; the rest is up"; first != want &&
		first != "failed: db, cache; not started because what they depend on failed: web; the rest is up" {
		t.Errorf("first line %q, want %q", first, want)
	}
	if !errors.Is(err, convergence.ErrNotFound) || !strings.Contains(err.Error(), "port taken") {
		t.Errorf("the engine errors are not all kept: %v", err)
	}
	if names := eng.Names(); !strings.Contains(fmt.Sprint(names), "p-ok-1 running") {
		t.Errorf("ok did not come up: %v", names)
	}
}
