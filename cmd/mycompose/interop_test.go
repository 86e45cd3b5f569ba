package main

import (
	"os/exec"
	"strings"
	"testing"
)

// composeV2 reports whether a Docker Compose v2 binary answers as
// `docker compose`. No registry or package here ships one, so the interop
// test runs where one was installed by hand and says so where it was not.
func composeV2(t *testing.T) bool {
	out, err := exec.Command("docker", "compose", "version", "--short").Output()
	return err == nil && len(strings.TrimSpace(string(out))) > 0
}

// TestInteropWithDockerComposeV2 checks the round trip: a project brought up
// by Docker Compose is a no-op up for mycompose and is listed and removed by
// it; a project brought up by mycompose is a no-op up for Docker Compose,
// which lists and removes it.
func TestInteropWithDockerComposeV2(t *testing.T) {
	if !composeV2(t) {
		t.Skip("Docker Compose v2 (`docker compose`) is not installed on this machine: interop not tested here")
	}
	compose := func(h *harness, args ...string) string {
		t.Helper()
		cmd := exec.Command("docker", append([]string{"compose", "-p", h.project}, args...)...)
		cmd.Dir = h.dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker compose %v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	theirs := newHarness(t, "core")
	compose(theirs, "up", "-d")
	before := theirs.want("db-1 running", "web-1 running", "worker-1 running")
	if r := theirs.ok("--dry-run", "up", "-d"); strings.TrimSpace(r.stdout) != "" {
		t.Errorf("mycompose would change a project Docker Compose just brought up:\n%s", r.stdout)
	}
	theirs.ok("up", "-d")
	for n, c := range theirs.want("db-1 running", "web-1 running", "worker-1 running") {
		if before[n].ID != c.ID {
			t.Errorf("mycompose recreated %s, brought up by Docker Compose", n)
		}
	}
	if r := theirs.ok("ps", "-q"); len(strings.Fields(r.stdout)) != 3 {
		t.Errorf("mycompose ps on their project: %q", r.stdout)
	}
	theirs.ok("down")
	theirs.want()

	ours := newHarness(t, "core")
	ours.ok("up", "-d")
	before = ours.want("db-1 running", "web-1 running", "worker-1 running")
	out := compose(ours, "up", "-d")
	if strings.Contains(out, "Recreate") || strings.Contains(out, "Created") {
		t.Errorf("Docker Compose changed a project mycompose brought up:\n%s", out)
	}
	for n, c := range ours.want("db-1 running", "web-1 running", "worker-1 running") {
		if before[n].ID != c.ID {
			t.Errorf("Docker Compose recreated %s, brought up by mycompose", n)
		}
	}
	if ps := compose(ours, "ps", "-q"); len(strings.Fields(ps)) != 3 {
		t.Errorf("docker compose ps on our project: %q", ps)
	}
	compose(ours, "down")
	ours.want()
	if n := ours.networks(); len(n) != 0 {
		t.Errorf("networks after docker compose down: %v", n)
	}
}
