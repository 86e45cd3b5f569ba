package parity

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sleeper is a service command that stops at once on SIGTERM.
const sleeper = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`

// TestLifecycleHooks: post_start runs in the container after it starts,
// with its user, working_dir and environment (privileged: the engine here
// cannot grant it to any process; convergence's TestHooksExecSpec checks
// it reaches the exec); pre_stop runs
// before stop (and before a recreate's stop); a failing hook fails the
// command with its status and output.
func TestLifecycleHooks(t *testing.T) {
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
    post_start:
      - command: ["sh", "-c", "echo \"$$(id -u) $$(pwd) $$GREETING\" > /tmp/post"]
        user: "1234"
        working_dir: /etc
        environment:
          GREETING: hello-hook
    environment:
      GEN: ${GEN:-1}
    volumes: [data:/data]
    pre_stop:
      - command: ["sh", "-c", "echo stopping-$$GEN >> /data/pre"]
volumes:
  data: {}
`)
	h.ok("up", "-d")
	app := h.ctr("app")
	if got := strings.TrimSpace(docker(t, "exec", app, "cat", "/tmp/post")); got != "1234 /etc hello-hook" {
		t.Errorf("post_start wrote %q, want %q", got, "1234 /etc hello-hook")
	}
	h.ok("stop")
	if got := strings.TrimSpace(copyOut(t, app, "/data/pre")); got != "stopping-1" {
		t.Errorf("pre_stop wrote %q", got)
	}
	// A recreate runs pre_stop in the old container before stopping it.
	h.ok("up", "-d")
	h.env = []string{"GEN=2"}
	h.ok("up", "-d")
	if got := strings.Fields(docker(t, "exec", app, "cat", "/data/pre")); strings.Join(got, " ") != "stopping-1 stopping-1" {
		t.Errorf("after a recreate, pre_stop wrote %q, want stopping-1 twice", got)
	}
	h.env = nil

	// A failing post_start hook fails up, naming the container, the hook,
	// its status and its output.
	h.write("compose.yaml", `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
    post_start:
      - command: ["sh", "-c", "echo boom-output; exit 3"]
`)
	r := h.fails("up", "-d")
	for _, want := range []string{`container "` + app + `": post_start hook 1 (sh -c echo boom-output; exit 3) exited with status 3`, "boom-output"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestPreStopFailureKeepsContainer: a failing pre_stop hook fails stop
// with its output, and the container keeps running.
func TestPreStopFailureKeepsContainer(t *testing.T) {
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
    pre_stop:
      - command: ["sh", "-c", "echo cannot-stop >&2; exit 4"]
`)
	h.ok("up", "-d")
	r := h.fails("stop")
	if !strings.Contains(r.stderr, "pre_stop hook 1") || !strings.Contains(r.stderr, "exited with status 4") || !strings.Contains(r.stderr, "cannot-stop") {
		t.Errorf("stop's error:\n%s", r.stderr)
	}
	var state struct{ Status string }
	inspect(t, h.ctr("app"), ".State", &state)
	if state.Status != "running" {
		t.Errorf("container %s after a failed pre_stop, want running", state.Status)
	}
}

// copyOut reads a file of a (possibly stopped) container.
func copyOut(t *testing.T, ctr, path string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("docker", "cp", ctr+":"+path, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker cp %s:%s: %v: %s", ctr, path, err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.Base(path)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestPreStart: pre_start init containers run to completion, in order,
// before the service starts, with its volumes and its image unless they
// name one; per_replica ones run before each replica; a failing one stops
// the service from starting, with its status and output; the runners are
// removed.
func TestPreStart(t *testing.T) {
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: ["sh", "-c", "cat /data/log > /tmp/seen; trap 'exit 0' TERM; sleep 3600 & wait"]
    scale: 2
    volumes: [data:/data]
    environment:
      STEP: inherited
    pre_start:
      - command: ["sh", "-c", "echo first-$$STEP >> /data/log"]
      - command: ["sh", "-c", "echo second >> /data/log"]
        user: "0"
      - command: ["sh", "-c", "echo replica >> /data/log"]
        per_replica: true
volumes:
  data: {}
`)
	h.ok("up", "-d")
	got := strings.Fields(docker(t, "exec", h.ctr("app"), "cat", "/data/log"))
	if len(got) != 4 || got[0] != "first-inherited" || got[1] != "second" || got[2] != "replica" || got[3] != "replica" {
		t.Errorf("hooks wrote %q, want first-inherited, second, then replica once per replica", got)
	}
	// The service saw what the hooks wrote before it started.
	if seen := docker(t, "exec", h.ctr("app"), "cat", "/tmp/seen"); !strings.HasPrefix(seen, "first-inherited\nsecond\n") {
		t.Errorf("the service started before the hooks ran: it saw %q", seen)
	}
	if left := dockerLines(t, "ps", "-a", "--format", "{{.Names}}", "--filter", "label=io.mycompose.pre_start="+h.project+"/app"); len(left) != 0 {
		t.Errorf("runner containers left: %v", left)
	}
	if cs := h.containers(); len(cs) != 2 {
		t.Errorf("project containers %v, want the two replicas", cs)
	}

	h.write("compose.yaml", `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
    pre_start:
      - command: ["sh", "-c", "echo migration-failed; exit 5"]
`)
	r := h.fails("up", "-d", "--force-recreate")
	if !strings.Contains(r.stderr, `service "app" pre_start[0] exited with status 5:`) || !strings.Contains(r.stderr, "migration-failed") {
		t.Errorf("up with a failing pre_start:\n%s", r.stderr)
	}
	var state struct{ Status string }
	inspect(t, h.ctr("app"), ".State", &state)
	if state.Status == "running" {
		t.Errorf("app started although its pre_start failed")
	}
}
