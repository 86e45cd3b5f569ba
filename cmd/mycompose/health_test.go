package main

import (
	"strings"
	"testing"
	"time"
)

// startedAt reads a container's start time from the engine.
func startedAt(t *testing.T, name string) time.Time {
	t.Helper()
	raw := strings.TrimSpace(docker(t, "inspect", "--format", "{{.State.StartedAt}}", name))
	ts, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		t.Fatalf("StartedAt of %s: %v", name, err)
	}
	return ts
}

// TestHealthyChainWithWait brings up a chain whose links wait for health
// and for a one-shot init service; --wait returns once everything is ready.
func TestHealthyChainWithWait(t *testing.T) {
	h := newHarness(t, "health")
	p := h.project
	h.ok("up", "--wait", "--wait-timeout", "60")
	h.want("db-1 running", "init-1 exited", "api-1 running", "web-1 running")
	for _, name := range []string{p + "-api-1", p + "-web-1"} {
		if s := strings.TrimSpace(docker(t, "inspect", "--format", "{{.State.Health}}", name)); name == p+"-api-1" && !strings.Contains(s, "healthy") {
			t.Errorf("%s health after --wait: %s", name, s)
		}
	}
	// db cannot be healthy before its command touched /tmp/ready, one
	// second after it started (the engine keeps only the last five probes,
	// so the first passing one may be gone from the log by now).
	db, api, web := startedAt(t, p+"-db-1"), startedAt(t, p+"-api-1"), startedAt(t, p+"-web-1")
	if api.Before(db.Add(time.Second)) {
		t.Errorf("api started at %v, before db could be healthy (started %v + 1s)", api, db)
	}
	// api's first probe runs one interval (200ms) after it starts.
	if web.Before(api.Add(150 * time.Millisecond)) {
		t.Errorf("web started at %v, before api could be healthy (started %v + 200ms)", web, api)
	}
	code := strings.TrimSpace(docker(t, "inspect", "--format", "{{.State.ExitCode}}", p+"-init-1"))
	if code != "0" {
		t.Errorf("init exit code %s", code)
	}
}

// TestUnhealthyDependencyFails names the service and shows the probe output;
// the dependent is created but never started.
func TestUnhealthyDependencyFails(t *testing.T) {
	h := newHarness(t, "health")
	r := h.fails("unhealthy", "-f", "compose.unhealthy.yaml", "up", "-d")
	if !strings.Contains(r.stderr, `"db"`) || !strings.Contains(r.stderr, "probe-says-no") {
		t.Errorf("message lacks the service or the probe output:\n%s", r.stderr)
	}
	h.want("db-1 running", "web-1 created")
}

// TestFailedInitStopsDependents fails when a one-shot dependency exits non-zero.
func TestFailedInitStopsDependents(t *testing.T) {
	h := newHarness(t, "health")
	r := h.fails("did not complete successfully", "-f", "compose.initfail.yaml", "up", "-d")
	if !strings.Contains(r.stderr, "code 3") {
		t.Errorf("message lacks the exit code:\n%s", r.stderr)
	}
	h.want("init-1 exited", "app-1 created")
}

// TestStartWait stops a healthy chain and starts it again with --wait.
func TestStartWait(t *testing.T) {
	h := newHarness(t, "health")
	h.ok("up", "--wait", "--wait-timeout", "60")
	h.ok("stop", "-t", "1")
	h.ok("start", "--wait", "--wait-timeout", "60")
	h.want("db-1 running", "init-1 exited", "api-1 running", "web-1 running")
	if s := strings.TrimSpace(docker(t, "inspect", "--format", "{{.State.Health.Status}}", h.project+"-api-1")); s != "healthy" {
		t.Errorf("api after start --wait: %s", s)
	}
}

// TestOptionalDependencyNeverHealthy: with required: false, a dependency
// that never becomes healthy is a warning and the dependent still starts.
func TestOptionalDependencyNeverHealthy(t *testing.T) {
	h := newHarness(t, "optionaldep")
	r := h.ok("up", "-d")
	if !strings.Contains(r.stderr, `optional dependency "db"`) {
		t.Errorf("no warning about the optional dependency:\n%s", r.stderr)
	}
	h.want("db-1 running", "web-1 running")
}
