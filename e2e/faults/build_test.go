package faults

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A build fails: in up it fails its service alone (its dependent is not
// started, the rest comes up), as a failed pull does; the build command
// still fails as a whole, as Compose's does.
const buildProject = `
services:
  ok:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
  good:
    build: ./good
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
  broken:
    build: ./broken
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
  dep:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    depends_on: [broken]
`

// writeFile writes a file of the project's directory, making its parents.
func (p *project) writeFile(rel, content string) {
	p.t.Helper()
	path := filepath.Join(p.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// images lists the node's images (all, intermediate ones included) as
// "ID tags" lines, sorted by the engine.
func nodeImages(t *testing.T) string {
	t.Helper()
	out, err := lab.docker("image", "ls", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// removeImagesAfter removes the project's built images from the node at
// the end of the test.
func (p *project) removeImagesAfter() {
	p.t.Cleanup(func() {
		lab.sh("docker image ls -q --filter reference='" + p.name + "-*' | xargs -r docker rmi -f >/dev/null")
	})
}

func TestPartialFailureBuild(t *testing.T) {
	p := newProject(t, buildProject)
	p.removeImagesAfter()
	p.writeFile("good/Dockerfile", "FROM mycompose-test/busybox:latest\nRUN echo good > /built\n")
	p.writeFile("broken/Dockerfile", "FROM mycompose-test/busybox:latest\nRUN echo flt-before-failure && exit 3\n")
	lab.injected("partial failure: a build fails (RUN exits 3) during up")

	code, out := p.run("up", "-d")
	first := firstError(out)
	if want := "Error: failed: broken; not started because what they depend on failed: dep; the rest is up"; code != 1 || first != want {
		t.Fatalf("exit %d, first error %q: want 1, %q\n%s", code, first, want, out)
	}
	for _, want := range []string{`service "broken": build image "` + p.name + `-broken"`, "exit code: 3", "flt-before-failure"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
	t.Logf("exit %d: %s", code, first)
	before := p.want(map[string]string{"ok-1": "running", "good-1": "running", "dep-1": "created"})
	if tags, _ := lab.docker("image", "ls", "-q", p.name+"-broken"); tags != "" {
		t.Errorf("the failed build left an image %s", tags)
	}

	// The build command fails as a whole, as Compose's does.
	if code, out := p.run("build", "broken"); code != 1 || !strings.Contains(firstError(out), "broken") {
		t.Errorf("build: exit %d, first error %q; want 1 naming broken\n%s", code, firstError(out), out)
	}

	// The fix: the second up builds broken (its image is missing), creates
	// it, starts dep and touches nothing else.
	p.writeFile("broken/Dockerfile", "FROM mycompose-test/busybox:latest\nRUN echo fixed > /built\n")
	p.ok("up", "-d")
	after := p.want(map[string]string{"ok-1": "running", "good-1": "running", "broken-1": "running", "dep-1": "running"})
	for _, n := range []string{"ok-1", "good-1", "dep-1"} {
		if before[p.name+"-"+n].ID != after[p.name+"-"+n].ID {
			t.Errorf("%s was recreated by the second up; only broken failed", n)
		}
	}
}

// The engine's disk fills during a build. The node's overlay2/ (image
// layers, containers' writable layers and BuildKit's snapshots) is moved
// onto a tmpfs, so that its free space can be set: none is left, so the
// layer the build's RUN writes cannot be made. (BuildKit on Docker 20.10
// exports the RUN's layer without copying it: with a little space, the
// RUN's own write is what fails.) The build fails naming its service and
// image; up exits 1 and leaves no image, tag or container behind; the
// running service and a volume's data are untouched; once space is back
// the next up builds and converges.
const diskBuildProject = `
services:
  keep:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    volumes: [old:/data]
  app:
    build: ./app
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
volumes:
  old: {}
`

// overlayOnTmpfs moves the node's overlay2/ onto a tmpfs (with its engine
// stopped) until the cleanup, which moves it back, what was made there
// included. It returns a function that leaves free bytes free on it
// (negative: plenty).
func overlayOnTmpfs(t *testing.T) (setFree func(free int64)) {
	t.Helper()
	healthy(t)
	if err := lab.stopEngine(); err != nil {
		t.Fatal(err)
	}
	// /tmp/fbld-orig shows the data directory without what is mounted on
	// it, so that the cleanup can write back to the real overlay2/.
	if out, err := lab.sh(`set -e
mkdir -p /tmp/fbld-orig /tmp/fbld-ovl
mount --bind /var/lib/docker /tmp/fbld-orig
mount --make-private /tmp/fbld-orig
mount -t tmpfs -o size=512m fbld-ovl /tmp/fbld-ovl
cp -a /var/lib/docker/overlay2/. /tmp/fbld-ovl/
mount --bind /tmp/fbld-ovl /var/lib/docker/overlay2`); err != nil {
		t.Fatalf("overlay2 onto a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		lab.heal()
		if _, err := lab.sh("docker info >/dev/null 2>&1"); err == nil {
			if err := lab.stopEngine(); err != nil {
				t.Error(err)
			}
		}
		if out, err := lab.sh(`set -e
# dockerd unmounts its overlay2/ when it stops; a failed test may not
# have started it.
umount /var/lib/docker/overlay2 2>/dev/null || true
rm -rf /tmp/fbld-orig/overlay2
mkdir /tmp/fbld-orig/overlay2
cp -a /tmp/fbld-ovl/. /tmp/fbld-orig/overlay2/
umount /tmp/fbld-ovl
umount /tmp/fbld-orig`); err != nil {
			t.Errorf("overlay2 back from the tmpfs: %v: %s", err, out)
		}
		if err := lab.startEngine(); err != nil {
			t.Error(err)
		}
	})
	if err := lab.startEngine(); err != nil {
		t.Fatal(err)
	}
	return func(free int64) {
		t.Helper()
		size := "512m"
		if free >= 0 {
			used, err := lab.sh("df -k --output=used /tmp/fbld-ovl | tail -1")
			if err != nil {
				t.Fatal(err)
			}
			kb, err := strconv.ParseInt(strings.TrimSpace(used), 10, 64)
			if err != nil {
				t.Fatalf("df: %q: %v", used, err)
			}
			size = strconv.FormatInt(kb+free/1024, 10) + "k"
		}
		if out, err := lab.sh("mount -o remount,size=" + size + " /tmp/fbld-ovl"); err != nil {
			t.Fatalf("resize the tmpfs: %v: %s", err, out)
		}
	}
}

func TestDiskFullOnBuild(t *testing.T) {
	setFree := overlayOnTmpfs(t)
	p := newProject(t, diskBuildProject)
	p.removeImagesAfter()
	p.writeFile("app/Dockerfile", "FROM mycompose-test/busybox:latest\nRUN dd if=/dev/zero of=/big bs=1M count=8 && echo flt-built > /built\n")
	p.ok("up", "-d", "keep")
	p.writeVolumeFile("old", "marker", "keep me")
	before := p.want(map[string]string{"keep-1": "running"})
	images := nodeImages(t)

	for _, moment := range []struct {
		fault string
		free  int64
		says  string
	}{
		// No space at all: BuildKit cannot make even the snapshot that
		// receives the Dockerfile.
		{"disk full: build snapshot create during up", 0, "no space left on device"},
		// 1 MiB: the context goes in, the RUN's 8 MiB write does not.
		{"disk full: build RUN layer write during up", 1 << 20, "No space left on device"},
	} {
		setFree(moment.free)
		lab.injected(moment.fault)
		code, out := p.run("up", "-d")
		firstErr := firstError(out)
		if code != 1 || !strings.Contains(firstErr, `service "app"`) || !strings.Contains(firstErr, `image "`+p.name+`-app"`) ||
			!strings.Contains(out, moment.says) {
			t.Fatalf("%s: exit %d, first error %q: want 1, naming the service and its image, saying %q\n%s",
				moment.fault, code, firstErr, moment.says, out)
		}
		t.Logf("exit %d: %s", code, firstErr)
		if got := nodeImages(t); got != images {
			t.Errorf("images after the failed build:\n%s\nwant as before:\n%s", got, images)
		}
		if all, err := lab.docker("ps", "-aq"); err != nil || all != before[p.name+"-keep-1"].ID[:12] {
			t.Errorf("containers %q (%v) after the failed build, want only keep's", all, err)
		}
		p.want(map[string]string{"keep-1": "running"})
	}

	setFree(-1)
	p.ok("up", "-d")
	after := p.want(map[string]string{"keep-1": "running", "app-1": "running"})
	if after[p.name+"-keep-1"].ID != before[p.name+"-keep-1"].ID {
		t.Error("keep was recreated")
	}
	if got := p.volumeFile("old", "marker"); got != "keep me" {
		t.Errorf("volume data %q, want %q", got, "keep me")
	}
	if out, err := lab.docker("exec", p.name+"-app-1", "cat", "/built"); err != nil || out != "flt-built" {
		t.Errorf("the built image's file: %q (%v)", out, err)
	}
}
