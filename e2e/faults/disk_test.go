package faults

import (
	"fmt"
	"strings"
	"testing"
)

// The engine's disk fills: a part of the node's data directory is covered
// by a tiny tmpfs, filled up (blocks and inodes), before the command. The
// command fails naming the object; nothing half made is left; data of
// what existed is untouched; once space is back the next up converges.
const diskProject = `
services:
  keep:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    volumes: [old:/data]
  fresh:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    volumes: [new:/data]
volumes:
  old: {}
  new: {}
`

// fillDir covers dir of the node with a full tmpfs until the cleanup.
func fillDir(t *testing.T, dir string) {
	t.Helper()
	script := fmt.Sprintf(`set -e
mkdir -p /tmp/flt-full
mount -t tmpfs -o size=64k,nr_inodes=16 flt-full /tmp/flt-full
i=0; while mkdir /tmp/flt-full/d$i 2>/dev/null; do i=$((i+1)); done
dd if=/dev/zero of=/tmp/flt-full/fill bs=4k 2>/dev/null || true
mount --bind /tmp/flt-full %s`, dir)
	if out, err := lab.sh(script); err != nil {
		t.Fatalf("fill %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() { emptyDir(t, dir) })
}

func emptyDir(t *testing.T, dir string) {
	lab.sh(fmt.Sprintf("umount %s 2>/dev/null; umount /tmp/flt-full 2>/dev/null; true", dir))
}

func (p *project) volumes() []string {
	p.t.Helper()
	out, err := lab.docker("volume", "ls", "-q", "--filter", "label=com.docker.compose.project="+p.name)
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.Fields(out)
}

// A volume create hits the full disk: up names the volume, the service
// that mounts it is not started, the other one is up; no volume is left
// half made; the next up converges and the old volume keeps its data.
func TestDiskFullOnVolumeCreate(t *testing.T) {
	first := strings.Replace(diskProject, "[new:/data]", "[]", 1)
	p := newProject(t, strings.Replace(first, "  new: {}\n", "", 1))
	p.ok("up", "-d")
	p.writeVolumeFile("old", "marker", "keep me")
	p.write(diskProject)
	fillDir(t, "/var/lib/docker/volumes")
	lab.injected("disk full: volume create during up")
	code, out := p.run("up", "-d")
	first = firstError(out)
	if code != 1 || !strings.Contains(first, p.name+"_new") || !strings.Contains(out, "no space left on device") {
		t.Fatalf("exit %d, first error %q: want 1, naming the volume, saying no space\n%s", code, first, out)
	}
	t.Logf("exit %d: %s", code, first)
	if vols := p.volumes(); len(vols) != 1 || vols[0] != p.name+"_old" {
		t.Errorf("volumes %v after the failed create, want only %s_old", vols, p.name)
	}
	emptyDir(t, "/var/lib/docker/volumes")
	p.ok("up", "-d")
	p.want(map[string]string{"keep-1": "running", "fresh-1": "running"})
	if got := p.volumeFile("old", "marker"); got != "keep me" {
		t.Errorf("volume data %q, want %q", got, "keep me")
	}
}

// A container create hits the full disk (the engine writes its
// configuration under containers/): up names the container; no container
// is left half made under its name or a temporary one; the next up
// converges; the running replica is untouched.
func TestDiskFullOnContainerCreate(t *testing.T) {
	p := newProject(t, diskProject)
	p.ok("up", "-d")
	p.writeVolumeFile("old", "marker", "keep me")
	before := p.want(map[string]string{"keep-1": "running", "fresh-1": "running"})
	fillDir(t, "/var/lib/docker/containers")
	lab.injected("disk full: container create during scale")
	code, out := p.run("up", "-d", "--scale", "fresh=2")
	first := firstError(out)
	if code != 1 || !strings.Contains(first, p.name+"-fresh-2") {
		t.Fatalf("exit %d, first error %q: want 1, naming the container\n%s", code, first, out)
	}
	t.Logf("exit %d: %s", code, first)
	emptyDir(t, "/var/lib/docker/containers")
	got := p.containers()
	for name := range got {
		if name != p.name+"-keep-1" && name != p.name+"-fresh-1" && name != p.name+"-fresh-2" {
			t.Errorf("left behind: %s", name)
		}
	}
	p.ok("up", "-d", "--scale", "fresh=2")
	after := p.want(map[string]string{"keep-1": "running", "fresh-1": "running", "fresh-2": "running"})
	for _, n := range []string{"keep-1", "fresh-1"} {
		if before[p.name+"-"+n].ID != after[p.name+"-"+n].ID {
			t.Errorf("%s was recreated", n)
		}
	}
	if got := p.volumeFile("old", "marker"); got != "keep me" {
		t.Errorf("volume data %q, want %q", got, "keep me")
	}
}
