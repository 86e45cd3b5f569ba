package faults

import (
	"strings"
	"testing"
	"time"
)

// One service of many fails, each in its own way: a command that cannot
// start, a published port that a process of the node (outside any
// project) holds, a volume whose driver the engine refuses. The rest of
// the project comes up; up exits 1 naming each failed service; after the
// fix, a second up touches only what failed.
const partialProject = `
services:
  ok:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
  ok2:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    depends_on: [ok]
  badcmd:
    image: mycompose-test/busybox:latest
    command: /nonexistent
  port:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    ports: ["38411:80"]
  store:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    volumes: [broken:/data]
  dep:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    depends_on: [badcmd]
volumes:
  broken:
    driver: flt-no-such-driver
`

func TestPartialFailure(t *testing.T) {
	p := newProject(t, partialProject)
	// A process of the node, in no project, holds the port.
	if _, err := lab.sh(`perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 38411, Listen => 1, ReuseAddr => 1) or die; open(F, ">/tmp/flt-listening"); close F; sleep 100000' >/dev/null 2>&1 & echo $! > /tmp/flt-listener.pid`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.sh("kill $(cat /tmp/flt-listener.pid); rm -f /tmp/flt-listening") })
	if err := lab.waitFor("the listener", 30*time.Second, func() bool { _, err := lab.sh("test -e /tmp/flt-listening"); return err == nil }); err != nil {
		t.Fatal(err)
	}
	lab.injected("partial failure: bad command, port taken, volume driver refused (one up)")

	code, out := p.run("up", "-d")
	first := firstError(out)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"badcmd", "port", "volume " + p.name + "_broken", "not started", "dep", "store"} {
		if !strings.Contains(first, want) {
			t.Errorf("first error line %q does not name %q", first, want)
		}
	}
	for _, want := range []string{"/nonexistent", "38411", "flt-no-such-driver"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
	t.Logf("exit %d: %s", code, first)
	before := p.want(map[string]string{"ok-1": "running", "ok2-1": "running", "badcmd-1": "created",
		"port-1": "created", "dep-1": "created"})

	// The fix: the listener goes, the command and the driver are corrected.
	lab.sh("kill $(cat /tmp/flt-listener.pid)")
	fixed := strings.Replace(partialProject, "command: /nonexistent", "command: sh -c 'trap \"exit 0\" TERM; sleep 100000 & wait'", 1)
	fixed = strings.Replace(fixed, "driver: flt-no-such-driver", "driver: local", 1)
	p.write(fixed)
	p.ok("up", "-d")
	after := p.want(map[string]string{"ok-1": "running", "ok2-1": "running", "badcmd-1": "running",
		"port-1": "running", "store-1": "running", "dep-1": "running"})
	for _, n := range []string{"ok-1", "ok2-1", "port-1", "dep-1"} {
		if before[p.name+"-"+n].ID != after[p.name+"-"+n].ID {
			t.Errorf("%s was recreated by the second up; only badcmd's configuration changed", n)
		}
	}
	if before[p.name+"-badcmd-1"].ID == after[p.name+"-badcmd-1"].ID {
		t.Error("badcmd-1 kept its broken configuration")
	}
}

// Two services whose image is missing, each in its own way: pull_policy
// never with an image the node does not have, and an image on a registry
// that does not answer (the node's own loopback: no traffic leaves the
// machine). They fail alone; their dependent is created, not started; the
// rest comes up. After the fix a second up creates only what failed.
const missingImageProject = `
services:
  ok:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
  never:
    image: mycompose-test/flt-absent:1
    pull_policy: never
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
  unpulled:
    image: 127.0.0.1:1/flt-nope:1
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
  dep:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    depends_on: [unpulled]
`

func TestPartialFailureMissingImage(t *testing.T) {
	p := newProject(t, missingImageProject)
	lab.injected("partial failure: image missing with pull_policy never, registry unreachable (one up)")

	code, out := p.run("up", "-d")
	first := firstError(out)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"failed: never, unpulled", "not started", "dep"} {
		if !strings.Contains(first, want) {
			t.Errorf("first error line %q does not name %q", first, want)
		}
	}
	for _, want := range []string{`image "mycompose-test/flt-absent:1" is not present on the engine and its pull_policy is never`,
		`image "127.0.0.1:1/flt-nope:1" could not be pulled`} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
	t.Logf("exit %d: %s", code, first)
	// No container of the failed services; their dependent created only.
	before := p.want(map[string]string{"ok-1": "running", "dep-1": "created"})

	fixed := strings.Replace(missingImageProject, "mycompose-test/flt-absent:1", "mycompose-test/busybox:latest", 1)
	fixed = strings.Replace(fixed, "127.0.0.1:1/flt-nope:1", "mycompose-test/busybox:latest", 1)
	p.write(fixed)
	p.ok("up", "-d")
	after := p.want(map[string]string{"ok-1": "running", "never-1": "running", "unpulled-1": "running", "dep-1": "running"})
	for _, n := range []string{"ok-1", "dep-1"} {
		if before[p.name+"-"+n].ID != after[p.name+"-"+n].ID {
			t.Errorf("%s was recreated by the second up; only the failed services changed", n)
		}
	}
}
