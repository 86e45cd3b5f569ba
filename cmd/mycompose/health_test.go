package main

import (
	"encoding/json"
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

// firstHealthy returns when a container's first passing probe ended.
func firstHealthy(t *testing.T, name string) time.Time {
	t.Helper()
	var log []struct {
		End      time.Time
		ExitCode int
	}
	raw := docker(t, "inspect", "--format", "{{json .State.Health.Log}}", name)
	if err := json.Unmarshal([]byte(raw), &log); err != nil {
		t.Fatalf("health log of %s: %v", name, err)
	}
	for _, l := range log {
		if l.ExitCode == 0 {
			return l.End
		}
	}
	t.Fatalf("%s never passed a health probe", name)
	return time.Time{}
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
	// The engine sets the health status a moment before it stamps the end
	// of the probe, so allow a little slack.
	const slack = 50 * time.Millisecond
	if api, db := startedAt(t, p+"-api-1"), firstHealthy(t, p+"-db-1"); api.Add(slack).Before(db) {
		t.Errorf("api started at %v, before db was healthy at %v", api, db)
	}
	if web, api := startedAt(t, p+"-web-1"), firstHealthy(t, p+"-api-1"); web.Add(slack).Before(api) {
		t.Errorf("web started at %v, before api was healthy at %v", web, api)
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
