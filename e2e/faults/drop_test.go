package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The connection to the remote engine drops (the node's API port silently
// drops every packet): each command ends with one error line and a
// non-zero exit within dropBound, and once the network is back the next
// command converges. The bound only turns a hang into a failure; the
// heartbeat gives up after about 21 s.
const dropBound = 90 * time.Second

const tickerProject = `
services:
  web:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; while :; do echo tick; sleep 1; done'
    develop:
      watch:
        - path: ./src
          action: sync
          target: /src
  other:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
`

// dropped checks the failing command: exit code, first error line, bound.
func dropped(t *testing.T, c *cmd, command string) {
	t.Helper()
	code := c.wait(t, dropBound)
	out := c.out.String()
	first := firstError(out)
	if code == 0 || !strings.Contains(first, "Error: "+command+": ") || !strings.Contains(first, "went away") {
		t.Fatalf("exit %d, first error %q, want non-zero and %q ... went away\n%s", code, first, command, out)
	}
	t.Logf("exit %d: %s", code, first)
	if err := lab.heal(); err != nil {
		t.Fatal(err)
	}
}

func cutNow(t *testing.T, fault string) {
	t.Helper()
	lab.injected(fault)
	if err := lab.cut(); err != nil {
		t.Fatal(err)
	}
}

func TestDropWhileUpWaitsForHealth(t *testing.T) {
	p := newProject(t, restartProject)
	ev := p.events()
	c := p.start("up", "-d")
	ev.all(t, "db, slow and steady started, app created", p.container("start", "db"), p.container("create", "app"),
		p.container("start", "slow"), p.container("start", "steady"))
	cutNow(t, "connection drop: up -d waiting for a dependency's health")
	dropped(t, c, "up")

	before := p.containers()
	p.writeVolumeFile("data", "gate", "open")
	p.ok("up", "-d", "--wait")
	after := p.want(map[string]string{"db-1": "running", "app-1": "running", "slow-1": "running", "steady-1": "running"})
	for name, b := range before {
		if after[name].ID != b.ID {
			t.Errorf("%s was recreated after the drop", name)
		}
	}
}

func TestDropDuringDown(t *testing.T) {
	p := upRunning(t)
	ev := p.events()
	c := p.start("down")
	ev.next(t, "slow signalled by down", p.container("kill", "slow"))
	cutNow(t, "connection drop: down stopping containers")
	dropped(t, c, "down")

	downFinishes(t, p)
}

// tickerUp brings the ticker project up and returns its containers.
func tickerUp(t *testing.T) (*project, map[string]ctr) {
	p := newProject(t, tickerProject)
	if err := os.MkdirAll(filepath.Join(p.dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	p.ok("up", "-d")
	return p, p.want(map[string]string{"web-1": "running", "other-1": "running"})
}

// unchanged checks that up after the drop changes nothing.
func unchanged(t *testing.T, p *project, before map[string]ctr) {
	t.Helper()
	p.ok("up", "-d")
	after := p.want(map[string]string{"web-1": "running", "other-1": "running"})
	for name, b := range before {
		if after[name].ID != b.ID {
			t.Errorf("%s was recreated after the drop", name)
		}
	}
}

// The streaming commands, each cut once its stream carries something: the
// drop kept attached up from stopping its containers, so for every one of
// them the next up finds both running, unchanged.
func TestDropDuringStreams(t *testing.T) {
	for _, tc := range []struct {
		fault, command, seen string
		args                 []string
	}{
		{"logs -f streaming", "logs", "tick", []string{"logs", "-f", "web"}},
		{"attached up streaming logs", "up", "tick", []string{"up"}},
		{"exec attached", "exec", "started", []string{"exec", "-T", "other", "sh", "-c", "echo started; sleep 100000"}},
		{"watch waiting for changes", "watch", "Watching", []string{"watch", "--no-up", "web"}},
	} {
		t.Run(tc.command, func(t *testing.T) {
			p, before := tickerUp(t)
			c := p.start(tc.args...)
			c.out.waitFor(t, tc.seen, c)
			cutNow(t, "connection drop: "+tc.fault)
			dropped(t, c, tc.command)
			unchanged(t, p, before)
		})
	}
}
