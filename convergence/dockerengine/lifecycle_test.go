package dockerengine

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// startBusybox creates and starts a container running cmd in the test's
// project.
func startBusybox(t *testing.T, e *Engine, clean *cleaner, suffix string, tty bool, cmd ...string) string {
	t.Helper()
	name := uniqueName(t, suffix)
	clean.container(name)
	id, err := e.CreateContainer(testCtx(t), convergence.CreateSpec{Name: name, Spec: project.ContainerSpec{
		Image: imageLatest, Cmd: cmd, Tty: tty, Labels: projectLabels(uniqueName(t, ""), nil)}})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := e.StartContainer(testCtx(t), id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	return id
}

func TestLogsDemultiplexesAndFollowsToTheEnd(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	id := startBusybox(t, e, clean, "logs", false, "sh", "-c", "echo out1; echo err1 >&2; sleep 1; echo out2")
	var out, errb bytes.Buffer
	if err := e.ContainerLogs(ctx, id, convergence.LogOptions{Follow: true}, &out, &errb); err != nil {
		t.Fatalf("ContainerLogs: %v", err)
	}
	if out.String() != "out1\nout2\n" || errb.String() != "err1\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errb.String())
	}
	out.Reset()
	if err := e.ContainerLogs(ctx, id, convergence.LogOptions{Tail: "1"}, &out, io.Discard); err != nil || out.String() != "out2\n" {
		t.Errorf("tail 1: %q, %v", out.String(), err)
	}
	d, err := e.ContainerState(ctx, id)
	if err != nil || d.Running || d.ExitCode != 0 || d.StartedAt.IsZero() || d.FinishedAt.Before(d.StartedAt) {
		t.Errorf("state after exit: %+v, %v", d, err)
	}
}

func TestLogsOfTTYContainerAreRaw(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	id := startBusybox(t, e, clean, "tty", true, "sh", "-c", "echo hello")
	<-e.WaitContainer(ctx, id, convergence.WaitNotRunning)
	var out bytes.Buffer
	if err := e.ContainerLogs(ctx, id, convergence.LogOptions{}, &out, io.Discard); err != nil {
		t.Fatalf("ContainerLogs: %v", err)
	}
	if out.String() != "hello\r\n" {
		t.Errorf("logs %q", out.String())
	}
}

func TestExecExitCodeStdinAndOptions(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	id := startBusybox(t, e, clean, "exec", false)
	var out bytes.Buffer
	code, err := e.Exec(ctx, id, convergence.ExecSpec{Cmd: []string{"sh", "-c", "cat; echo $X $(pwd) $(id -u); exit 5"},
		Env: []string{"X=y"}, WorkingDir: "/tmp", User: "1000"},
		convergence.Stdio{Stdin: strings.NewReader("in\n"), Stdout: &out, Stderr: io.Discard})
	if err != nil || code != 5 {
		t.Fatalf("Exec: code %d, %v", code, err)
	}
	if out.String() != "in\ny /tmp 1000\n" {
		t.Errorf("output %q", out.String())
	}
	if code, err := e.Exec(ctx, id, convergence.ExecSpec{Cmd: []string{"touch", "/tmp/detached"}, Detach: true}, convergence.Stdio{}); err != nil || code != 0 {
		t.Fatalf("detached Exec: %d, %v", code, err)
	}
}

func TestOneOffAttachWaitWithPipedStdin(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	name := uniqueName(t, "run")
	clean.container(name)
	id, err := e.CreateContainer(ctx, convergence.CreateSpec{Name: name, Spec: project.ContainerSpec{
		Image: imageLatest, Cmd: []string{"sh", "-c", "cat; exit 7"}, OpenStdin: true,
		Labels: projectLabels(uniqueName(t, ""), nil)}, OneOff: &convergence.OneOffOptions{Interactive: true}})
	if err != nil {
		t.Fatalf("create the one-off: %v", err)
	}
	var out bytes.Buffer
	done, err := e.AttachContainer(ctx, id, convergence.Stdio{Stdin: strings.NewReader("piped\n"), Stdout: &out, Stderr: io.Discard})
	if err != nil {
		t.Fatalf("AttachContainer: %v", err)
	}
	exited := e.WaitContainer(ctx, id, convergence.WaitNextExit)
	if err := e.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	if res := <-exited; res.Err != nil || res.Code != 7 {
		t.Fatalf("wait: %+v", res)
	}
	if err := <-done; err != nil || out.String() != "piped\n" {
		t.Errorf("output %q, %v", out.String(), err)
	}
}

func TestKillPauseTopAndEvents(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	proj := uniqueName(t, "")
	evCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, errs := e.Events(evCtx, proj)
	id := startBusybox(t, e, clean, "sig", false)
	got := map[string]bool{}
	for !got["start"] {
		select {
		case ev := <-events:
			if ev.ID == id {
				got[ev.Action] = true
			}
		case err := <-errs:
			t.Fatalf("events: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no start event")
		}
	}
	procs, err := e.TopContainer(ctx, id, nil)
	if err != nil || len(procs.Rows) == 0 || !strings.Contains(strings.Join(procs.Titles, " "), "PID") {
		t.Fatalf("top: %+v, %v", procs, err)
	}
	if err := e.PauseContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.ContainerState(ctx, id); !d.Paused {
		t.Errorf("not paused: %+v", d)
	}
	if err := e.UnpauseContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := e.KillContainer(ctx, id, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	if res := <-e.WaitContainer(ctx, id, convergence.WaitNotRunning); res.Code != 137 {
		t.Errorf("exit after SIGKILL: %+v", res)
	}
	wantErrIs(t, e.KillContainer(ctx, uniqueName(t, "missing"), "SIGKILL"), convergence.ErrNotFound, "kill missing")
}

func TestCopyRoundTrip(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	id := startBusybox(t, e, clean, "cp", false)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "note.txt", Mode: 0o644, Size: 5, Typeflag: tar.TypeReg})
	tw.Write([]byte("hello"))
	tw.Close()
	if err := e.CopyToContainer(ctx, id, "/tmp", &buf); err != nil {
		t.Fatalf("CopyToContainer: %v", err)
	}
	st, err := e.StatContainerPath(ctx, id, "/tmp/note.txt")
	if err != nil || st.Size != 5 || st.Mode.IsDir() {
		t.Fatalf("stat: %+v, %v", st, err)
	}
	rc, st, err := e.CopyFromContainer(ctx, id, "/tmp/note.txt")
	if err != nil {
		t.Fatalf("CopyFromContainer: %v", err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	h, err := tr.Next()
	if err != nil || h.Name != "note.txt" || st.Name != "note.txt" {
		t.Fatalf("archive entry %+v, %v", h, err)
	}
	if data, _ := io.ReadAll(tr); string(data) != "hello" {
		t.Errorf("content %q", data)
	}
	_, err = e.StatContainerPath(ctx, id, "/nope")
	wantErrIs(t, err, convergence.ErrNotFound, "stat missing path")
}

func TestListAllContainersAndInspectImage(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	id := startBusybox(t, e, clean, "ls", false)
	all, err := e.ListAllContainers(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range all {
		found = found || c.ID == id
		if c.Labels[project.LabelProject] == "" {
			t.Errorf("%s has no project label", c.Name)
		}
	}
	if !found {
		t.Errorf("container %s not listed", id)
	}
	img, err := e.InspectImage(ctx, imageLatest)
	if err != nil || !strings.HasPrefix(img.ID, "sha256:") || img.Size == 0 {
		t.Errorf("image: %+v, %v", img, err)
	}
}
