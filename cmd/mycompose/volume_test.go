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

// TestExternalVolumeRenamedRecreates: a container is recreated when the
// engine volume it mounts is no longer the one the file names, although
// the service's own definition hashes the same.
func TestExternalVolumeRenamedRecreates(t *testing.T) {
	h := newHarness(t, "extvolume")
	v1, v2 := h.project+"-v1", h.project+"-v2"
	for _, v := range []string{v1, v2} {
		docker(t, "volume", "create", v)
		t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", v).Run() })
	}
	h.env = append(h.env, "VOL="+v1)
	h.ok("up", "-d")
	name := h.project + "-app-1"
	before := h.containers()[name]
	h.env = append(h.env, "VOL="+v2)
	dry := h.ok("--dry-run", "up", "-d").stdout
	if !strings.Contains(dry, "volume at /data is "+v1+", the file wants "+v2) {
		t.Fatalf("dry run does not explain the recreate:\n%s", dry)
	}
	h.ok("up", "-d")
	after := h.containers()[name]
	if after.ID == before.ID {
		t.Fatal("the container still mounts the old volume: not recreated")
	}
	if len(after.Mounts) != 1 || after.Mounts[0].Name != v2 {
		t.Fatalf("mounts after up: %+v, want %s", after.Mounts, v2)
	}
	h.ok("up", "-d")
	if again := h.containers()[name]; again.ID != after.ID {
		t.Fatal("a second up recreated again")
	}
}
