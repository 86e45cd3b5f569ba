package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	msw "github.com/mycompose/mycompose/convergence/swarm"
	"github.com/mycompose/mycompose/project"
)

// fakeCLIEngine makes the fake engine a cli Engine.
type fakeCLIEngine struct{ *fakeengine.Engine }

func (fakeCLIEngine) Ping(context.Context) error { return nil }
func (fakeCLIEngine) Close() error               { return nil }
func (fakeCLIEngine) Endpoint() string           { return "fake" }
func (fakeCLIEngine) Source() string             { return "" }
func (fakeCLIEngine) Swarm() msw.Engine          { return nil }
func (fakeCLIEngine) ResolveDigest(context.Context, string) (string, error) {
	return "", errors.New("fake engine: no registry")
}

// The fake has no resource usage or filesystem to snapshot.
func (fakeCLIEngine) ContainerStats(context.Context, string) (convergence.Stats, error) {
	return convergence.Stats{}, errors.New("fake engine: no stats")
}
func (fakeCLIEngine) ExportContainer(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("fake engine: no export")
}
func (fakeCLIEngine) CommitContainer(context.Context, string, convergence.CommitOptions) (string, error) {
	return "", errors.New("fake engine: no commit")
}

// syncBuffer is a bytes.Buffer safe for the follower's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogPrinterAlignsAndKeepsLinesWhole(t *testing.T) {
	var out bytes.Buffer
	p := newLogPrinter(&out, &out, false, true)
	p.register("worker-1")
	a, _ := p.writers("db-1", "db")
	a.Write([]byte("par"))
	a.Write([]byte("tial\r\nnext\n"))
	a.Write([]byte("unterminated"))
	a.Close()
	want := "db-1      | partial\ndb-1      | next\ndb-1      | unterminated\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}

	out.Reset()
	long := strings.Repeat("x", maxLogLine+10)
	a.Write([]byte(long))
	a.Close()
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Errorf("a line without newline longer than %d bytes was printed in %d pieces, want 2", maxLogLine, n)
	}

	out.Reset()
	bare := newLogPrinter(&out, &out, false, false)
	w, _ := bare.writers("db-1", "db")
	w.Write([]byte("raw\n"))
	if out.String() != "raw\n" {
		t.Errorf("no prefix: %q", out.String())
	}
}

// countingWriter counts the writes it gets.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(b)
}

// TestLogPrinterOneWritePerChunk checks that the whole lines of a chunk go
// out in one write, and that lines of concurrent streams stay whole.
func TestLogPrinterOneWritePerChunk(t *testing.T) {
	var out countingWriter
	p := newLogPrinter(&out, &out, false, true)
	a, _ := p.writers("a-1", "a")
	a.Write([]byte("x\ny\nz\npart"))
	if out.writes != 1 || out.String() != "a-1  | x\na-1  | y\na-1  | z\n" {
		t.Errorf("%d writes of %q, want one of three lines", out.writes, out.String())
	}
	out.Reset()
	line := strings.Repeat("b", 100) + "\n"
	var wg sync.WaitGroup
	for _, name := range []string{"b-1", "b-2", "b-3"} {
		w, _ := p.writers(name, "b")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				w.Write([]byte(line + line + line))
			}
		}()
	}
	wg.Wait()
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if !strings.HasSuffix(l, " | "+strings.TrimSuffix(line, "\n")) {
			t.Fatalf("line cut or merged: %q", l)
		}
	}
}

func TestLogPrinterColourIsStablePerService(t *testing.T) {
	var out bytes.Buffer
	p := newLogPrinter(&out, &out, true, true)
	w1, _ := p.writers("web-1", "web")
	w2, _ := p.writers("web-2", "web")
	w1.Write([]byte("a\n"))
	w2.Write([]byte("b\n"))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	code := "\x1b[" + colorOf("web") + "m"
	for _, l := range lines {
		if !strings.HasPrefix(l, code) {
			t.Errorf("line %q is not in web's colour %q", l, code)
		}
	}
	if colorOf("web") != colorOf("web") {
		t.Error("colour not stable")
	}
}

func fakeContainer(t *testing.T, eng *fakeengine.Engine, service string, n int) string {
	t.Helper()
	labels := map[string]string{project.LabelProject: "p", project.LabelService: service,
		project.LabelNumber: strconv.Itoa(n), project.LabelOneOff: project.OneOffFalse}
	id, err := eng.CreateContainer(context.Background(), convergence.CreateSpec{
		Name: project.ContainerName("p", service, n), Spec: project.ContainerSpec{Image: "img", Labels: labels}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.StartContainer(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestFollowerFollowsRestartsAndNewContainers drives the follower with
// scripted events: events older than the list are ignored, a restart opens
// a new stream, a new container gets one, and exits are reported once.
func TestFollowerFollowsRestartsAndNewContainers(t *testing.T) {
	fake := fakeengine.New(map[string]string{"img": "sha256:1"})
	eng := fakeCLIEngine{fake}
	web1 := fakeContainer(t, fake, "web", 1)
	fake.SetLogs("p-web-1", "one")
	cs, _ := fake.ListContainers(context.Background(), "p")
	listedAt := time.Now()

	var out syncBuffer
	var mu sync.Mutex
	var exits []string
	var finishing atomic.Bool
	f := &follower{eng: eng, printer: newLogPrinter(&out, &out, false, true),
		selected: func(r project.Replica) bool { return r.Service == "web" },
		initial:  convergence.LogOptions{Follow: true},
		onExit: func(name, service string, code int) {
			mu.Lock()
			exits = append(exits, name)
			mu.Unlock()
		},
		ending: finishing.Load,
		stderr: func(string, ...any) {},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, errs := fake.Events(ctx, "p")
	done := make(chan error, 1)
	go func() { done <- f.run(ctx, events, errs, cs, listedAt, true) }()

	ev := func(action, id, name string, at time.Time) {
		fake.Emit(convergence.ContainerEvent{Time: at, Action: action, ID: id,
			Attributes: map[string]string{"name": name, project.LabelProject: "p", project.LabelService: "web",
				project.LabelNumber: name[len(name)-1:], project.LabelOneOff: project.OneOffFalse}})
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; output:\n%s", what, out.String())
			}
		}
	}
	waitFor("the first stream", func() bool { return strings.Count(out.String(), "web-1  | one") == 1 })
	ev("start", web1, "p-web-1", listedAt.Add(-time.Second)) // before the list: ignored
	fake.Kill("p-web-1")
	ev("die", web1, "p-web-1", time.Now())
	fake.StartContainer(ctx, web1)
	ev("start", web1, "p-web-1", time.Now().Add(time.Millisecond))
	waitFor("the stream after the restart", func() bool { return strings.Count(out.String(), "web-1  | one") == 2 })

	web2 := fakeContainer(t, fake, "web", 2)
	fake.SetLogs("p-web-2", "two")
	ev("start", web2, "p-web-2", time.Now())
	waitFor("the new container's stream", func() bool { return strings.Contains(out.String(), "web-2  | two") })

	finishing.Store(true)
	fake.Kill("p-web-1")
	fake.Kill("p-web-2")
	ev("die", web1, "p-web-1", time.Now())
	ev("die", web2, "p-web-2", time.Now())
	ev("die", web2, "p-web-2", time.Now()) // a duplicate: no start in between
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("the follower did not end once nothing ran")
	}
	if got := strings.Join(exits, ","); got != "web-1,web-1,web-2" {
		t.Errorf("exits reported: %s", got)
	}
	if n := strings.Count(out.String(), "web-1  | one"); n != 2 {
		t.Errorf("web-1's log printed %d times, want 2 (one per run):\n%s", n, out.String())
	}
}

func TestAttachFlagValidation(t *testing.T) {
	for _, tc := range []struct {
		o      attachOptions
		detach bool
		want   string
	}{
		{attachOptions{AbortOnExit: true}, true, "--detach cannot be combined"},
		{attachOptions{ExitCodeFrom: "web"}, true, "--detach cannot be combined"},
		{attachOptions{AbortOnExit: true, AbortOnFailure: true}, false, "cannot be combined with --abort-on-container-exit"},
		{attachOptions{Attach: []string{"a"}, AttachDependencies: true}, false, "cannot combine --attach and --attach-dependencies"},
		{attachOptions{ExitCodeFrom: "web", AbortOnFailure: true}, false, ""},
		{attachOptions{NoAttach: []string{"a"}}, true, ""},
	} {
		err := tc.o.validate(tc.detach)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v detach=%v: %v, want %q", tc.o, tc.detach, err, tc.want)
		}
	}
	o := attachOptions{ExitCodeFrom: "web"}
	o.validate(false)
	if !o.AbortOnExit {
		t.Error("--exit-code-from does not imply --abort-on-container-exit")
	}
}

func TestAttachedServices(t *testing.T) {
	p := &project.Project{Name: "p", Services: []project.Service{
		{Name: "db"}, {Name: "web", DependsOn: []project.Dependency{{Service: "db"}}}, {Name: "tool"},
	}}
	for _, tc := range []struct {
		o    attachOptions
		args []string
		want string
	}{
		{attachOptions{}, nil, "db,tool,web"},
		{attachOptions{}, []string{"web"}, "web"},
		{attachOptions{AttachDependencies: true}, []string{"web"}, "db,web"},
		{attachOptions{NoAttach: []string{"db"}}, nil, "tool,web"},
		{attachOptions{Attach: []string{"db"}}, []string{"web"}, "db"},
	} {
		got, err := tc.o.attachedServices(p, tc.args)
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("%+v %v: %v %v, want %s", tc.o, tc.args, got, err, tc.want)
		}
	}
	if _, err := (&attachOptions{Attach: []string{"tool"}}).attachedServices(p, []string{"web"}); err == nil ||
		!strings.Contains(err.Error(), "cannot attach to services not included in up: tool") {
		t.Errorf("attach outside up: %v", err)
	}
}

func TestSmallParsers(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"10m":                  now.Add(-10 * time.Minute),
		"2013-01-02T13:23:37Z": time.Date(2013, 1, 2, 13, 23, 37, 0, time.UTC),
		"1700000000.5":         time.Unix(1700000000, 500000000),
	} {
		got, err := parseLogTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseLogTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseLogTime("yesterday", now); err == nil {
		t.Error("parseLogTime accepted garbage")
	}
	if got := combinedStatus([]string{"running", "exited", "running"}); got != "exited(1), running(2)" {
		t.Errorf("combinedStatus = %q", got)
	}
	for in, want := range map[string][2]string{
		"web:/tmp/x": {"web", "/tmp/x"}, "./a:b": {"", "./a:b"}, "/abs/p": {"", "/abs/p"},
		"dir/f:x": {"", "dir/f:x"}, "file.txt": {"", "file.txt"},
	} {
		if s, p := splitCpArg(in); s != want[0] || p != want[1] {
			t.Errorf("splitCpArg(%q) = %q, %q", in, s, p)
		}
	}
	for _, bad := range []string{"../x", "a/../../x", "/../../etc/passwd"} {
		if name, err := entryPath(bad, "a", ""); err == nil && strings.HasPrefix(name, "..") {
			t.Errorf("entryPath(%q) = %q lets it escape", bad, name)
		}
	}
	if got, _ := entryPath("src/sub/f", "src", "dst"); got != "dst/sub/f" {
		t.Errorf("entryPath rename = %q", got)
	}
	pb, err := parsePublish("127.0.0.1:8080:80/udp")
	if err != nil || pb.HostIP != "127.0.0.1" || pb.HostPort != "8080" || pb.ContainerPort != 80 || pb.Protocol != "udp" {
		t.Errorf("parsePublish: %+v %v", pb, err)
	}
	if _, err := parsePublish("x:y"); err == nil {
		t.Error("parsePublish accepted garbage")
	}
	if got := envArgs([]string{"A=1", "B", "C"}, []string{"B=2", "X=3"}); strings.Join(got, ",") != "A=1,B=2" {
		t.Errorf("envArgs = %v", got)
	}
	if got := mergeEnv([]string{"A=1", "B=1"}, []string{"B=2"}); strings.Join(got, ",") != "A=1,B=2" {
		t.Errorf("mergeEnv = %v", got)
	}
	labels := project.Replica{Project: "p", Service: "web", Number: 2}
	if got := displayName("p-web-2", labels); got != "web-2" {
		t.Errorf("displayName = %q", got)
	}
	if got := displayName("custom", labels); got != "custom" {
		t.Errorf("displayName of container_name = %q", got)
	}
}

func TestParallelFlag(t *testing.T) {
	cases := []struct {
		flag int
		env  string
		want int
	}{
		{0, "", convergence.DefaultParallel},
		{0, "COMPOSE_PARALLEL_LIMIT=3", 3},
		{5, "COMPOSE_PARALLEL_LIMIT=3", 5},
		{-1, "", unlimitedParallel},
	}
	for _, c := range cases {
		deps := &Deps{Environ: []string{c.env}, parallel: c.flag}
		if got := parallelLimit(deps); got != c.want {
			t.Errorf("--parallel %d with %q: %d, want %d", c.flag, c.env, got, c.want)
		}
	}
}

func TestBuildArgs(t *testing.T) {
	got, err := buildArgs([]string{"A=1", "B", "C", "D=x=y"}, []string{"B=from-env"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "from-env", "D": "x=y"}
	if len(got) != len(want) || got["A"] != "1" || got["B"] != "from-env" || got["D"] != "x=y" {
		t.Errorf("buildArgs = %v, want %v (C unset is left out)", got, want)
	}
	if _, err := buildArgs([]string{"=v"}, nil); err == nil {
		t.Error("--build-arg =v accepted")
	}
}
