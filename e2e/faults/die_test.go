package faults

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Containers die under the project while up waits or is attached: exit
// codes and messages follow Compose (--wait fails naming each, with its
// last logs; --exit-code-from returns the service's code, 137 for SIGKILL;
// --abort-on-container-failure stops the rest and returns the failed
// one's code), and the engine keeps its own restart: policies.
const dieProject = `
services:
  fine:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; echo ready; sleep 100000 & wait'
  crash:
    image: mycompose-test/busybox:latest
    command: ["sh", "-c", "echo booting; echo fatal, no config file >&2; exit 3"]
    healthcheck: &never {test: ["CMD", "test", "-f", "/never"], interval: 1s, retries: 100000}
  hog:
    image: mycompose-test/busybox:latest
    command: sh -c 'echo filling memory; x=$$(head -c 300000000 /dev/zero | tr "\\000" x); echo survived'
    mem_limit: 16m
    healthcheck: *never
    memswap_limit: 16m
`

// crash and hog have a healthcheck that never passes, so that --wait is
// still waiting when they die, whatever the timing.
func TestContainersDieUnderWait(t *testing.T) {
	p := newProject(t, dieProject)
	// One death per wait: --wait ends on the first failure it sees.
	for _, tc := range []struct {
		service string
		code    int
		logs    []string
	}{
		{"crash", 3, []string{"booting", "fatal, no config file"}},
		{"hog", 137, []string{"filling memory"}},
	} {
		lab.injected("containers die: " + tc.service + " while up --wait waits")
		code, out := p.run("up", "-d", "--wait", "fine", tc.service)
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, out)
		}
		first := firstError(out)
		if want := fmt.Sprintf("Error: container %s-%s-1 exited with code %d; last logs:", p.name, tc.service, tc.code); first != want {
			t.Errorf("first error line %q, want %q", first, want)
		}
		for _, want := range tc.logs {
			if !strings.Contains(out, "    "+want) {
				t.Errorf("output lacks the last log line %q:\n%s", want, out)
			}
		}
		t.Logf("exit %d: %s", code, first)
	}
	cs := p.want(map[string]string{"fine-1": "running", "crash-1": "exited", "hog-1": "exited"})
	if c := cs[p.name+"-hog-1"]; c.ExitCode != 137 {
		t.Errorf("hog exit code %d, want 137", c.ExitCode)
	}
	if oom, err := lab.docker("inspect", "-f", "{{.State.OOMKilled}}", p.name+"-hog-1"); err != nil || oom != "true" {
		t.Errorf("hog OOMKilled %q (%v), want true", oom, err)
	}
}

func TestContainerKilledWhileAttached(t *testing.T) {
	p := newProject(t, dieProject)
	c := p.start("up", "--exit-code-from", "fine", "fine")
	c.out.waitFor(t, "ready", c)
	lab.injected("containers die: SIGKILL of the service --exit-code-from follows")
	if _, err := lab.docker("kill", "-s", "KILL", p.name+"-fine-1"); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t, 2*time.Minute); code != 137 {
		t.Fatalf("exit %d, want 137 (the killed container's)\n%s", code, c.out.String())
	}
	if !strings.Contains(c.out.String(), "fine-1 exited with code 137") {
		t.Errorf("output does not name the killed container:\n%s", c.out.String())
	}
}

func TestContainerFailsWhileAttached(t *testing.T) {
	p := newProject(t, dieProject)
	ev := p.events()
	c := p.start("up", "--abort-on-container-failure", "fine", "crash")
	lab.injected("containers die: exit 3 under up --abort-on-container-failure")
	code := c.wait(t, 2*time.Minute)
	if code != 3 {
		t.Fatalf("exit %d, want the failed container's code 3\n%s", code, c.out.String())
	}
	// Everything was stopped, fine included.
	ev.next(t, "fine stopped", p.container("die", "fine"))
	cs := p.containers()
	if st := cs[p.name+"-fine-1"].State; st != "exited" {
		t.Errorf("fine is %s after the abort, want exited", st)
	}
}
