package convergence_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	"github.com/mycompose/mycompose/project"
)

var t0 = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

func TestNeedsPull(t *testing.T) {
	daily := convergence.PullPolicy{Kind: convergence.PullRefresh, Every: 24 * time.Hour}
	cases := []struct {
		name     string
		policy   convergence.PullPolicy
		present  bool
		lastPull time.Time
		want     bool
	}{
		{"missing, absent", convergence.PullPolicy{Kind: convergence.PullMissing}, false, time.Time{}, true},
		{"missing, present", convergence.PullPolicy{Kind: convergence.PullMissing}, true, time.Time{}, false},
		{"always, present", convergence.PullPolicy{Kind: convergence.PullAlways}, true, t0, true},
		{"always, absent", convergence.PullPolicy{Kind: convergence.PullAlways}, false, time.Time{}, true},
		{"never, absent", convergence.PullPolicy{Kind: convergence.PullNever}, false, time.Time{}, false},
		{"build, absent", convergence.PullPolicy{Kind: convergence.PullBuild}, false, time.Time{}, false},
		{"daily, absent", daily, false, time.Time{}, true},
		{"daily, pulled an hour ago", daily, true, t0.Add(-time.Hour), false},
		{"daily, pulled a day ago", daily, true, t0.Add(-24 * time.Hour), true},
		{"daily, pulled 25h ago", daily, true, t0.Add(-25 * time.Hour), true},
		{"daily, pull time unknown", daily, true, time.Time{}, true},
		{"daily, pulled in the future (clock skew)", daily, true, t0.Add(time.Hour), false},
	}
	for _, c := range cases {
		if got := convergence.NeedsPull(c.policy, c.present, c.lastPull, t0); got != c.want {
			t.Errorf("%s: NeedsPull = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParsePullPolicy(t *testing.T) {
	cases := []struct {
		in, def string
		kind    string
		every   time.Duration
		err     string
	}{
		{"", "", convergence.PullMissing, 0, ""},
		{"", convergence.PullAlways, convergence.PullAlways, 0, ""},
		{"if_not_present", "", convergence.PullMissing, 0, ""},
		{"refresh", "", convergence.PullMissing, 0, ""},
		{"always", "", convergence.PullAlways, 0, ""},
		{"never", convergence.PullAlways, convergence.PullNever, 0, ""},
		{"build", "", convergence.PullBuild, 0, ""},
		{"daily", "", convergence.PullRefresh, 24 * time.Hour, ""},
		{"weekly", "", convergence.PullRefresh, 7 * 24 * time.Hour, ""},
		{"every_12h", "", convergence.PullRefresh, 12 * time.Hour, ""},
		{"every_1d30m", "", convergence.PullRefresh, 24*time.Hour + 30*time.Minute, ""},
		{"every_2w", "", convergence.PullRefresh, 14 * 24 * time.Hour, ""},
		{"every_", "", "", 0, `invalid pull policy "every_"`},
		{"every_5x", "", "", 0, `invalid pull policy "every_5x"`},
		{"sometimes", "", "", 0, `invalid pull policy "sometimes"`},
	}
	for _, c := range cases {
		got, err := convergence.ParsePullPolicy(c.in, c.def)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePullPolicy(%q): got %v, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got.Kind != c.kind || got.Every != c.every {
			t.Errorf("ParsePullPolicy(%q, %q) = %+v, %v; want %s every %s", c.in, c.def, got, err, c.kind, c.every)
		}
	}
}

// memLog is an in-memory PullLog.
type memLog struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (l *memLog) LastPull(ref, id string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[ref+" "+id]
}

func (l *memLog) Record(ref, id string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]time.Time{}
	}
	l.m[ref+" "+id] = at
}

func imageProject(svcs ...project.Service) *project.Project {
	return &project.Project{Name: "p", Services: svcs}
}

func imgService(name, ref, policy string) project.Service {
	return project.Service{Name: name, Replicas: 1, PullPolicy: policy, Container: project.ContainerSpec{Image: ref}}
}

func TestPlanPulls(t *testing.T) {
	p := imageProject(
		imgService("a", "reg/shared:1", ""),
		imgService("b", "reg/shared:1", ""),
		imgService("c", "reg/present:1", ""),
		imgService("d", "reg/never:1", "never"),
		imgService("e", "reg/daily:1", "daily"),
		imgService("f", "reg/always:1", "always"),
	)
	present := map[string]string{"reg/present:1": "sha256:p", "reg/daily:1": "sha256:d", "reg/always:1": "sha256:a"}
	log := &memLog{}
	log.Record("reg/daily:1", "sha256:d", t0.Add(-2*time.Hour))
	pulls, skipped, err := convergence.PlanPulls(p, present, convergence.PullPlanOptions{Default: convergence.PullMissing, Log: log, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	got := render(pulls)
	want := "pull image reg/always:1 (pull_policy always) [f]\npull image reg/shared:1 (missing) [a b]"
	if got != want {
		t.Errorf("pulls:\n%s\nwant:\n%s", got, want)
	}
	if got, want := render(skipped), "pull image reg/present:1 (already present) [c]\npull image reg/never:1 (pull_policy never) [d]\npull image reg/daily:1 (pulled 2h0m0s ago) [e]"; got != want {
		t.Errorf("skipped:\n%s\nwant:\n%s", got, want)
	}

	// The pull command's default is always; --policy overrides pull_policy.
	pulls, _, _ = convergence.PlanPulls(p, present, convergence.PullPlanOptions{Default: convergence.PullAlways, Services: []string{"c", "d"}, Now: t0})
	if got, want := render(pulls), "pull image reg/present:1 (pull_policy always) [c]"; got != want {
		t.Errorf("pull command: %s, want %s", got, want)
	}
	pulls, _, _ = convergence.PlanPulls(p, present, convergence.PullPlanOptions{Override: "missing", Default: convergence.PullAlways, Now: t0})
	if got, want := render(pulls), "pull image reg/never:1 (missing) [d]\npull image reg/shared:1 (missing) [a b]"; got != want {
		t.Errorf("--policy missing:\n%s\nwant:\n%s", got, want)
	}
	// A refresh policy with no recorded pull pulls, saying why.
	pulls, _, _ = convergence.PlanPulls(p, present, convergence.PullPlanOptions{Services: []string{"e"}, Now: t0})
	if got, want := render(pulls), "pull image reg/daily:1 (pull_policy daily: never pulled by mycompose) [e]"; got != want {
		t.Errorf("daily without a record: %s, want %s", got, want)
	}
	_, _, err = convergence.PlanPulls(imageProject(imgService("x", "r", "every_x")), nil, convergence.PullPlanOptions{})
	if err == nil || !strings.Contains(err.Error(), `service "x": invalid pull policy "every_x"`) {
		t.Errorf("invalid policy: %v", err)
	}
}

func render(pulls []convergence.ImagePull) string {
	var lines []string
	for _, p := range pulls {
		lines = append(lines, p.String()+" "+strings.Join([]string{"[", strings.Join(p.Services, " "), "]"}, ""))
	}
	return strings.Join(lines, "\n")
}

// events collects the Puller's events as "Status Name".
type events struct {
	mu    sync.Mutex
	lines []string
}

func (ev *events) add(e convergence.Event) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.lines = append(ev.lines, e.Status+" "+e.Name)
}

func TestPullOncePerImageInParallel(t *testing.T) {
	eng := fakeengine.New(nil)
	eng.SetRemoteImage("reg/a:1", "sha256:a")
	eng.SetRemoteImage("reg/b:1", "sha256:b")
	p := imageProject(imgService("a1", "reg/a:1", ""), imgService("a2", "reg/a:1", ""), imgService("b", "reg/b:1", ""))
	pulls, _, err := convergence.PlanPulls(p, nil, convergence.PullPlanOptions{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	eng.HoldPullsUntil(2)
	ev, log := &events{}, &memLog{}
	var layers int
	pu := &convergence.Puller{Store: eng, Events: ev.add, Log: log, Now: func() time.Time { return t0 },
		Progress: func(convergence.PullEvent) { layers++ }}
	if err := pu.Pull(context.Background(), pulls); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(eng.Calls(), ","), "pull reg/a:1,pull reg/b:1"; got != want {
		t.Errorf("calls %s, want %s", got, want)
	}
	if n := eng.MaxConcurrentPulls(); n != 2 {
		t.Errorf("%d pulls in flight at most, want 2", n)
	}
	if len(ev.lines) != 4 || layers != 4 {
		t.Errorf("events %q, %d layer events", ev.lines, layers)
	}
	if !log.LastPull("reg/b:1", "sha256:b").Equal(t0) {
		t.Errorf("pull not recorded: %v", log.m)
	}
	ids, _ := eng.ImageIDs(context.Background(), []string{"reg/a:1", "reg/b:1"})
	if len(ids) != 2 {
		t.Errorf("images after pull: %v", ids)
	}
}

func TestPullFailureCancelsTheRest(t *testing.T) {
	eng := fakeengine.New(nil)
	eng.SetRemoteImage("reg/slow:1", "sha256:s")
	eng.SetPullDelay(5 * time.Second)
	pulls := []convergence.ImagePull{{Ref: "reg/absent:1"}, {Ref: "reg/slow:1"}}
	eng.FailNext("pull reg/absent:1", errors.New(`pull "reg/absent:1": not found`))
	ev := &events{}
	start := time.Now()
	err := (&convergence.Puller{Store: eng, Events: ev.add}).Pull(context.Background(), pulls)
	if err == nil || err.Error() != `pull "reg/absent:1": not found` {
		t.Fatalf("got %v, want the failure alone", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failure took %s: the slow pull was not cancelled", d)
	}
	if _, ok := eng.RemoteImage("reg/slow:1"); !ok {
		t.Fatal("remote image vanished")
	}
	if ids, _ := eng.ImageIDs(context.Background(), []string{"reg/slow:1"}); len(ids) != 0 {
		t.Errorf("cancelled pull completed: %v", ids)
	}
}

func TestPullIgnoreFailures(t *testing.T) {
	eng := fakeengine.New(nil)
	eng.SetRemoteImage("reg/ok:1", "sha256:o")
	pulls := []convergence.ImagePull{{Ref: "reg/absent:1"}, {Ref: "reg/ok:1"}}
	ev := &events{}
	if err := (&convergence.Puller{Store: eng, Events: ev.add, IgnoreFailures: true}).Pull(context.Background(), pulls); err != nil {
		t.Fatalf("ignored failure returned %v", err)
	}
	got := strings.Join(ev.lines, ",")
	for _, want := range []string{"Warning reg/absent:1", "Pulled reg/ok:1"} {
		if !strings.Contains(got, want) {
			t.Errorf("events %s lack %q", got, want)
		}
	}
}

func TestPushOncePerImage(t *testing.T) {
	eng := fakeengine.New(map[string]string{"reg/a:1": "sha256:a"})
	ev := &events{}
	pu := &convergence.Puller{Store: eng, Events: ev.add}
	if err := pu.Push(context.Background(), []string{"reg/a:1"}); err != nil {
		t.Fatal(err)
	}
	if id, ok := eng.RemoteImage("reg/a:1"); !ok || id != "sha256:a" {
		t.Errorf("remote after push: %q %v", id, ok)
	}
	if got, want := strings.Join(ev.lines, ","), "Pushing reg/a:1,Pushed reg/a:1"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	err := pu.Push(context.Background(), []string{"reg/missing:1"})
	if err == nil || !strings.Contains(err.Error(), `push "reg/missing:1": image is not present`) {
		t.Fatalf("push of a missing image: %v", err)
	}
}

func TestMissingImageError(t *testing.T) {
	for policy, want := range map[string]string{
		"":      `service "web": image "reg/x:1" is not present on the engine: pull it (` + "`mycompose pull web`" + `)`,
		"never": `service "web": image "reg/x:1" is not present on the engine and its pull_policy is never`,
		"build": `its pull_policy is build, but the service has no build: section`,
	} {
		svc := imgService("web", "reg/x:1", policy)
		if err := convergence.MissingImageError(&svc); !strings.Contains(err.Error(), want) {
			t.Errorf("policy %q: %v, want %q", policy, err, want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1990000: "1.99MB", 4260000000: "4.26GB"} {
		if got := convergence.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
