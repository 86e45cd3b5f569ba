package convergence_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	"github.com/mycompose/mycompose/project"
)

// oneOffRequest is what `run app` fills: the service's container with the
// one-off labels.
func oneOffRequest(p *project.Project, service string, deps, start bool) convergence.Request {
	svc, _ := p.Service(service)
	spec := svc.Container
	spec.Labels = p.ContainerLabels(svc, 1, "")
	project.OneOffLabels(spec.Labels, "0123456789ab")
	name := project.OneOffName(p.Name, service, "0123456789ab")
	return convergence.Request{Op: convergence.OpRun, Project: p, Up: convergence.UpOptions{IgnoreOrphans: true},
		OneOff: &convergence.OneOff{Service: service, Deps: deps, Start: start, Create: convergence.CreateSpec{Name: name, Spec: spec}}}
}

// TestPipelineRunIsDesiredState: the one-off of run is created like a
// replica, so it gets its service's secrets and platform, after its
// dependencies; it is left created for the caller to attach to.
func TestPipelineRunIsDesiredState(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	app := service("app", 1, "db")
	app.Container.Platform = "linux/arm64"
	app.Container.Files = []project.ContainerFile{{Kind: "secret", Name: "pw", Path: "/run/secrets/pw", Content: []byte("hunter2"), Mode: 0o400, UID: 1000}}
	p := newProject(service("db", 1), app)
	var locked, unlocked int
	pl := &convergence.Pipeline{Engine: eng, Hooks: convergence.Hooks{
		Lock: func(context.Context, string) (func(), error) { locked++; return func() { unlocked++ }, nil },
	}}
	req := oneOffRequest(p, "app", true, false)
	res, err := pl.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	name := req.OneOff.Create.Name
	calls := eng.OrderedCalls()
	for _, want := range []string{"create container p-db-1", "start container p-db-1",
		"create container " + name + " platform linux/arm64", "copy to container " + name + " /"} {
		if !slices.Contains(calls, want) {
			t.Errorf("calls %v: missing %q", calls, want)
		}
	}
	if slices.Index(calls, "start container p-db-1") > slices.Index(calls, "create container "+name+" platform linux/arm64") {
		t.Errorf("the one-off was created before its dependency started: %v", calls)
	}
	if slices.Contains(calls, "start container "+name) {
		t.Error("the one-off was started: run attaches first")
	}
	if res.OneOffID == "" {
		t.Fatal("no one-off ID")
	}
	st, err := eng.StatContainerPath(context.Background(), res.OneOffID, "/run/secrets/pw")
	if err != nil || st.Size != int64(len("hunter2")) {
		t.Errorf("secret in the one-off: %+v, %v", st, err)
	}
	if locked != 1 || unlocked != 1 {
		t.Errorf("lock taken %d times, released %d times; want once each", locked, unlocked)
	}

	// --no-deps, detached: only the one-off, started.
	eng2 := fakeengine.New(map[string]string{"img": "sha256:1"})
	req2 := oneOffRequest(p, "app", false, true)
	if _, err := (&convergence.Pipeline{Engine: eng2}).Run(context.Background(), req2); err != nil {
		t.Fatal(err)
	}
	for _, c := range eng2.Calls() {
		if strings.Contains(c, "p-db-1") {
			t.Errorf("--no-deps touched the dependency: %s", c)
		}
	}
	if got := eng2.Names(); !slices.Contains(got, req2.OneOff.Create.Name+" running") {
		t.Errorf("containers %v: want the detached one-off running", got)
	}
}

// TestPipelineDryRunChangesNothing: a dry run plans and returns the plan.
func TestPipelineDryRunChangesNothing(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := newProject(service("web", 2))
	res, err := (&convergence.Pipeline{Engine: eng}).Run(context.Background(),
		convergence.Request{Op: convergence.OpUp, Project: p, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan.Actions) != 3 {
		t.Errorf("plan:\n%s", res.Plan)
	}
	for _, c := range eng.Calls() {
		if !strings.HasPrefix(c, "list ") && c != "image ids" {
			t.Errorf("a dry run called %q", c)
		}
	}
}

// TestPipelineDownRemovesImages: down --rmi all removes the project's image
// after its containers, and reports warnings through the hook.
func TestPipelineDownRemovesImages(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := newProject(service("web", 1))
	pl := &convergence.Pipeline{Engine: eng}
	if _, err := pl.Run(context.Background(), convergence.Request{Op: convergence.OpUp, Project: p}); err != nil {
		t.Fatal(err)
	}
	eng.Calls()
	res, err := pl.Run(context.Background(), convergence.Request{Op: convergence.OpDown, Name: "p", RemoveImages: "all"})
	if err != nil {
		t.Fatal(err)
	}
	want := "remove container p-web-1 (down)\nremove network p_default (down) after [remove container p-web-1]\nremove image img after [remove container p-web-1]\n"
	if got := res.Plan.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if calls := eng.Calls(); !slices.Contains(calls, "remove image img") {
		t.Errorf("calls %v: the image was not removed", calls)
	}
}

// TestPipelineUpFailsMissingImagesAlone: a service whose image is missing
// (pull_policy never) or cannot be pulled fails alone: the rest comes up,
// its dependents are not started, and the error names each with why. A dry
// run, and a project where nothing else would converge, still refuse
// before anything is created.
func TestPipelineUpFailsMissingImagesAlone(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	eng.FailNext("pull 127.0.0.1:1/nope:1", errors.New(`registry "127.0.0.1:1" is unreachable`))
	never := service("never", 1)
	never.Container.Image, never.PullPolicy = "mc/never:1", convergence.PullNever
	unpulled := service("unpulled", 1)
	unpulled.Container.Image = "127.0.0.1:1/nope:1"
	p := newProject(service("ok", 1), never, unpulled, service("dep", 1, "unpulled"))
	pl := &convergence.Pipeline{Engine: eng}

	if _, err := pl.Run(context.Background(), convergence.Request{Op: convergence.OpUp, Project: p, DryRun: true}); err == nil ||
		!strings.Contains(err.Error(), `image "mc/never:1" is not present on the engine and its pull_policy is never`) {
		t.Errorf("dry run: got %v, want the refusal", err)
	}
	_, err := pl.Run(context.Background(), convergence.Request{Op: convergence.OpUp, Project: p})
	var pe *convergence.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is no PartialError", err)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	if want := "failed: never, unpulled; not started because what they depend on failed: dep; the rest is up"; first != want {
		t.Errorf("first line %q, want %q", first, want)
	}
	for _, want := range []string{`service "never": image "mc/never:1" is not present on the engine and its pull_policy is never`,
		`service "unpulled": image "127.0.0.1:1/nope:1" could not be pulled: registry "127.0.0.1:1" is unreachable`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	// dep is created, as every dependent of a failed service is, but not
	// started; the failed services have no container.
	if got := eng.Names(); !slices.Equal(got, []string{"p-dep-1 created", "p-ok-1 running"}) {
		t.Errorf("containers %v, want p-ok-1 running and p-dep-1 created", got)
	}

	// Again, unfixed: ok is up to date, so nothing else would converge.
	eng.Calls() // resets the log
	eng.FailNext("pull 127.0.0.1:1/nope:1", errors.New("unreachable"))
	_, err = pl.Run(context.Background(), convergence.Request{Op: convergence.OpUp, Project: p})
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), `service "never"`) {
		t.Errorf("second up: got %v, want the image errors alone", err)
	}
	for _, c := range eng.Calls() {
		if strings.HasPrefix(c, "create ") || strings.HasPrefix(c, "start ") {
			t.Errorf("an up where only failures remain called %q", c)
		}
	}
}

// fakeBuild is a Build hook on the fake engine: it builds, one after
// another, what PlanBuilds selects; with Partial a failure is the
// service's Built.Err, as the command line's builder reports it.
func fakeBuild(eng *fakeengine.Engine) func(context.Context, *project.Project, convergence.BuildOptions, bool, bool) ([]convergence.Built, error) {
	return func(ctx context.Context, p *project.Project, opts convergence.BuildOptions, _, _ bool) ([]convergence.Built, error) {
		var refs []string
		for _, s := range p.Services {
			refs = append(refs, s.Container.Image)
		}
		present, err := eng.ImageIDs(ctx, refs)
		if err != nil {
			return nil, err
		}
		var built []convergence.Built
		for _, name := range convergence.PlanBuilds(p, present, opts) {
			svc, _ := p.Service(name)
			_, err := eng.BuildImage(ctx, convergence.BuildRequestFor(p, svc), nil)
			if err != nil {
				err = fmt.Errorf("service %q: %w", name, err)
				if !opts.Partial {
					return built, err
				}
			}
			built = append(built, convergence.Built{Ref: svc.Container.Image, Service: name, Err: err})
		}
		return built, nil
	}
}

// TestPipelineUpFailsFailedBuildsAlone: a service whose build fails fails
// alone in up, even with an older image present (up --build): the rest
// comes up, its dependent is created and not started, and the error names
// it with the build's error. run, which needs every image, still fails as
// a whole before anything is created.
func TestPipelineUpFailsFailedBuildsAlone(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1", "p-app": "sha256:old"})
	app := service("app", 1)
	app.Container.Image, app.Build = "p-app", &project.Build{Context: "/w/app"}
	tool := service("tool", 1)
	tool.Container.Image, tool.Build = "p-tool", &project.Build{Context: "/w/tool"}
	p := newProject(service("ok", 1), app, tool, service("web", 1, "app"))
	pl := &convergence.Pipeline{Engine: eng, Hooks: convergence.Hooks{Build: fakeBuild(eng)}}

	eng.FailNext("build image p-app", errors.New(`build image "p-app": step [2/2] RUN make failed: exit code: 2`))
	res, err := pl.Run(context.Background(), convergence.Request{Op: convergence.OpUp, Project: p,
		Build: convergence.BuildOptions{Force: true}})
	var pe *convergence.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is no PartialError", err)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	if want := "failed: app; not started because what they depend on failed: web; the rest is up"; first != want {
		t.Errorf("first line %q, want %q", first, want)
	}
	if want := `service "app": build image "p-app": step [2/2] RUN make failed: exit code: 2`; !strings.Contains(err.Error(), want) {
		t.Errorf("error does not say %q:\n%v", want, err)
	}
	if !strings.Contains(res.Plan.String(), "fail service p-app-1 (image p-app not built)") {
		t.Errorf("plan does not give the build as the reason:\n%s", res.Plan)
	}
	if got := eng.Names(); !slices.Equal(got, []string{"p-ok-1 running", "p-tool-1 running", "p-web-1 created"}) {
		t.Errorf("containers %v, want ok and tool running, web created, no app", got)
	}

	// The next up (no --build: app's older image is there) creates app
	// and starts web, leaving ok and tool alone.
	eng.Calls()
	if _, err := pl.Run(context.Background(), convergence.Request{Op: convergence.OpUp, Project: p}); err != nil {
		t.Fatal(err)
	}
	calls := eng.Calls()
	for _, c := range calls {
		if strings.Contains(c, "p-ok-1") || strings.Contains(c, "p-tool") {
			t.Errorf("the second up touched what had converged: %s", c)
		}
	}
	for _, want := range []string{"create container p-app-1", "start container p-web-1"} {
		if !slices.Contains(calls, want) {
			t.Errorf("calls %v: missing %q", calls, want)
		}
	}

	// run needs its image: a failed build fails it before anything is
	// created.
	eng.Calls()
	eng.FailNext("build image p-app", errors.New("boom"))
	req := oneOffRequest(p, "web", true, false)
	req.Build.Force = true
	if _, err := pl.Run(context.Background(), req); err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("run: got %v, want the build error alone", err)
	}
	for _, c := range eng.Calls() {
		if strings.HasPrefix(c, "create ") || strings.HasPrefix(c, "start ") {
			t.Errorf("run after a failed build called %q", c)
		}
	}
}
