package main

import (
	"os/exec"
	"strings"
	"testing"
)

func readFile(t *testing.T, container, path string) string {
	t.Helper()
	out, _ := runDocker("exec", container, "cat", path)
	return strings.TrimSpace(out)
}

// runDocker runs the docker CLI and returns stdout and whether it succeeded.
func runDocker(args ...string) (string, bool) {
	out, err := exec.Command("docker", args...).Output()
	return string(out), err == nil
}

// TestVolumeDataSurvives proves that named-volume data survives up,
// recreate, scale, down and up; anonymous-volume data survives a recreate
// but not -V; a changed volume configuration is never applied without
// consent; and only down -v removes the volume, naming it.
func TestVolumeDataSurvives(t *testing.T) {
	h := newHarness(t, "volumes")
	p := h.project
	h.ok("up", "-d")
	docker(t, "exec", p+"-db-1", "sh", "-c", "echo precious > /data/f")
	docker(t, "exec", p+"-cache-1", "sh", "-c", "echo warm > /scratch/f")

	h.ok("up", "-d", "--force-recreate")
	if got := readFile(t, p+"-db-1", "/data/f"); got != "precious" {
		t.Errorf("named volume after recreate: %q", got)
	}
	if got := readFile(t, p+"-cache-1", "/scratch/f"); got != "warm" {
		t.Errorf("anonymous volume after recreate: %q", got)
	}
	h.ok("scale", "db=2")
	if got := readFile(t, p+"-db-2", "/data/f"); got != "precious" {
		t.Errorf("named volume seen by a new replica: %q", got)
	}
	h.ok("scale", "db=1")
	h.ok("down")
	h.ok("up", "-d")
	if got := readFile(t, p+"-db-1", "/data/f"); got != "precious" {
		t.Errorf("named volume after down and up: %q", got)
	}

	// -V renews anonymous volumes.
	docker(t, "exec", p+"-cache-1", "sh", "-c", "echo warm > /scratch/f")
	h.ok("up", "-d", "--force-recreate", "-V")
	if got := readFile(t, p+"-cache-1", "/scratch/f"); got != "" {
		t.Errorf("anonymous volume after -V: %q", got)
	}

	// A changed volume configuration is refused without consent...
	before := h.containers()
	h.env = []string{"GEN=2"}
	h.fails("-y/--yes", "up", "-d")
	if got := readFile(t, p+"-db-1", "/data/f"); got != "precious" {
		t.Fatalf("data after a refused volume change: %q", got)
	}
	for name, c := range h.containers() {
		if before[name].ID != c.ID {
			t.Errorf("a refused volume change touched %s", name)
		}
	}
	// ...and applied with it.
	h.ok("up", "-d", "-y")
	h.want("db-1 running", "cache-1 running")
	if got := readFile(t, p+"-db-1", "/data/f"); got != "" {
		t.Errorf("volume not recreated with -y: %q", got)
	}
	if label := strings.TrimSpace(docker(t, "volume", "inspect", "--format", `{{index .Labels "gen"}}`, p+"_data")); label != "2" {
		t.Errorf("volume label after recreate: %q", label)
	}
	if r := h.ok("up", "-d"); strings.Contains(r.stderr, "Recreate") || strings.Contains(r.stderr, "Creating") {
		t.Errorf("up after the volume change is not a no-op:\n%s", r.stderr)
	}

	r := h.ok("down", "-v")
	if !strings.Contains(r.stderr, p+"_data") {
		t.Errorf("down -v does not name the volume:\n%s", r.stderr)
	}
	if v := h.volumes(); len(v) != 0 {
		t.Errorf("volumes after down -v: %v", v)
	}
}
