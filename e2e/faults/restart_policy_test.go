package faults

import (
	"strconv"
	"strings"
	"testing"
)

// Containers die under the project and their restart: policy is the
// engine's business: mycompose neither restarts nor recreates them, and
// --wait, as Compose's, takes a restarting container for one still
// starting and fails only once the engine has given up on it.
//
// flaky fails its first two runs (its run count is a file of its own
// writable layer, which a restart keeps), then stays up. doomed always
// fails, and the engine gives up after two restarts; its healthcheck never
// passes, so that --wait cannot take one of its short runs for ready.
const restartPolicyProject = `
services:
  plain:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
  flaky:
    image: mycompose-test/busybox:latest
    restart: on-failure
    command: sh -c 'n=$$(cat /runs 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > /runs; echo run $$n; [ $$n -ge 3 ] || exit 4; trap "exit 0" TERM; sleep 100000 & wait'
  doomed:
    image: mycompose-test/busybox:latest
    restart: on-failure:2
    command: sh -c 'echo doomed run; exit 5'
    healthcheck: {test: ["CMD", "test", "-f", "/never"], interval: 1s, retries: 100000}
`

// inspectRestarts is a container's ID, start time and RestartCount.
func inspectRestarts(t *testing.T, name string) (id, started string, restarts int) {
	t.Helper()
	out, err := lab.docker("inspect", "-f", "{{.Id}} {{.State.StartedAt}} {{.RestartCount}}", name)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(out)
	if len(f) != 3 {
		t.Fatalf("inspect %s: %q", name, out)
	}
	n, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatal(err)
	}
	return f[0], f[1], n
}

// restarts waits for starts start events and dies die events of the
// project's service, all of one container, whose ID it returns.
func (e *events) restarts(t *testing.T, p *project, service string, starts, dies int) string {
	t.Helper()
	var id string
	nstart, ndie := 0, 0
	e.next(t, service+" started "+strconv.Itoa(starts)+" times", func(ev event) bool {
		start, die := p.container("start", service)(ev), p.container("die", service)(ev)
		if !start && !die {
			return false
		}
		if id == "" {
			id = ev.Actor.ID
		} else if ev.Actor.ID != id {
			t.Errorf("%s: an event of another container %s (first %s): a restart must keep the container", service, ev.Actor.ID, id)
		}
		if start {
			nstart++
		} else {
			ndie++
		}
		return nstart == starts && ndie == dies
	})
	return id
}

func TestRestartPolicyLeftToEngine(t *testing.T) {
	p := newProject(t, strings.Replace(restartPolicyProject, "  doomed:", "  doomed:\n    profiles: [later]", 1))
	ev := p.events()
	lab.injected("containers die: restart: on-failure, two failed runs at start (up --wait)")
	// --wait takes the restarting flaky for one still starting, as Compose
	// does: it succeeds once flaky runs (it may also see the first run
	// running, before it fails).
	p.ok("up", "-d", "--wait")
	id := ev.restarts(t, p, "flaky", 3, 2)
	name := p.name + "-flaky-1"
	gotID, started, restarts := inspectRestarts(t, name)
	if gotID != id || restarts != 2 {
		t.Fatalf("%s: ID %s, RestartCount %d; want the same container %s restarted twice by the engine", name, gotID, restarts, id)
	}
	p.want(map[string]string{"plain-1": "running", "flaky-1": "running"})

	// up again: nothing to do, the engine's restarts are no drift.
	out := p.ok("up", "-d")
	if strings.Contains(out, "Recreate") || strings.Contains(out, "Start") {
		t.Errorf("the second up acted on the project:\n%s", out)
	}
	if id2, started2, restarts2 := inspectRestarts(t, name); id2 != id || started2 != started || restarts2 != 2 {
		t.Errorf("%s after the second up: ID %s, started %s, RestartCount %d; want %s, %s, 2 (untouched)", name, id2, started2, restarts2, id, started)
	}

	// The process dies under the project (SIGKILL from the node, not
	// through the engine: no manual stop): the engine restarts it, the
	// same container, and up --wait leaves it alone.
	pid, err := lab.docker("inspect", "-f", "{{.State.Pid}}", name)
	if err != nil {
		t.Fatal(err)
	}
	lab.injected("containers die: SIGKILL of a restart: on-failure container's process")
	if out, err := lab.sh("kill -KILL " + pid); err != nil {
		t.Fatalf("kill %s: %v: %s", pid, err, out)
	}
	if id3 := ev.restarts(t, p, "flaky", 1, 1); id3 != id {
		t.Errorf("restarted container %s, want %s", id3, id)
	}
	if id4, _, restarts4 := inspectRestarts(t, name); id4 != id || restarts4 != 3 {
		t.Errorf("%s after the kill: ID %s, RestartCount %d; want %s, 3", name, id4, restarts4, id)
	}
	p.ok("up", "-d", "--wait")
	if id5, _, restarts5 := inspectRestarts(t, name); id5 != id || restarts5 != 3 {
		t.Errorf("%s after up --wait: ID %s, RestartCount %d; want %s, 3 (untouched)", name, id5, restarts5, id)
	}
}

// The engine gives up on doomed after its two restarts: --wait, which took
// it for starting while it was restarting, fails naming it with its exit
// code and last logs, as when a container without a policy exits; up does
// not restart it itself.
func TestRestartPolicyGivenUpUnderWait(t *testing.T) {
	p := newProject(t, restartPolicyProject)
	ev := p.events()
	lab.injected("containers die: restart: on-failure:2 exhausted while up --wait waits")
	code, out := p.run("up", "-d", "--wait", "plain", "doomed")
	first := firstError(out)
	if want := "Error: container " + p.name + "-doomed-1 exited with code 5; last logs:"; code != 1 || first != want {
		t.Fatalf("exit %d, first error %q; want 1, %q\n%s", code, first, want, out)
	}
	if !strings.Contains(out, "    doomed run") {
		t.Errorf("output lacks the last logs:\n%s", out)
	}
	t.Logf("exit %d: %s", code, first)
	id := ev.restarts(t, p, "doomed", 3, 3)
	name := p.name + "-doomed-1"
	if gotID, _, restarts := inspectRestarts(t, name); gotID != id || restarts != 2 {
		t.Errorf("%s: ID %s, RestartCount %d; want %s restarted twice", name, gotID, restarts, id)
	}
	p.want(map[string]string{"plain-1": "running", "doomed-1": "exited"})
}
