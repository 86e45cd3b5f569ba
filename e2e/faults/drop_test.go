package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The connection to the remote engine drops (the node's API and ssh ports
// silently drop every packet): each command ends with one error line and
// a non-zero exit within dropBound, and once the network is back the next
// command converges. The bound only turns a hang into a failure; the
// heartbeat gives up after about 21 s. Each test runs over tcp:// here and
// over ssh:// in ssh_test.go.
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

// transport is how the commands under test reach the node's engine.
type transport struct {
	// name goes into the fault's name in the report: "" for tcp://.
	name string
	// endpoint is the DOCKER_HOST the commands use.
	endpoint func() string
	// env returns what the commands' environment needs for it.
	env func(t *testing.T) []string
}

var tcp = transport{endpoint: func() string { return lab.host() }, env: func(*testing.T) []string { return nil }}

// project is newProject whose commands go over the transport.
func (tr transport) project(t *testing.T, yaml string) *project {
	t.Helper()
	p := newProject(t, yaml)
	p.env = tr.env(t)
	return p
}

// fault names an injection for the report.
func (tr transport) fault(what string) string {
	if tr.name == "" {
		return "connection drop: " + what
	}
	return "connection drop (" + tr.name + "): " + what
}

// dropped checks the failing command, struck at since: exit code, first
// error line (one line naming the command and the endpoint; no line of the
// output is the ssh command line docker/cli's dialer reports), bound.
func (tr transport) dropped(t *testing.T, c *cmd, command string, since time.Time) {
	t.Helper()
	code := c.wait(t, dropBound)
	took := time.Since(since).Round(100 * time.Millisecond)
	out := c.out.String()
	first := firstError(out)
	if code == 0 || !strings.HasPrefix(first, "Error: "+command+": ") ||
		!strings.Contains(first, "the engine at "+tr.endpoint()+" went away (") || strings.Contains(out, "dial-stdio") {
		t.Fatalf("exit %d, first error %q, want non-zero and %q ... the engine at %s went away (...)\n%s",
			code, first, command, tr.endpoint(), out)
	}
	t.Logf("exit %d after %s: %s", code, took, first)
	if err := lab.heal(); err != nil {
		t.Fatal(err)
	}
}

// cutNow cuts the node's network and returns when.
func cutNow(t *testing.T, fault string) time.Time {
	t.Helper()
	lab.injected(fault)
	at := time.Now()
	if err := lab.cut(); err != nil {
		t.Fatal(err)
	}
	return at
}

func TestDropWhileUpWaitsForHealth(t *testing.T) { dropWhileUpWaitsForHealth(t, tcp) }

func dropWhileUpWaitsForHealth(t *testing.T, tr transport) {
	p := tr.project(t, restartProject)
	ev := p.events()
	c := p.start("up", "-d")
	ev.all(t, "db, slow and steady started, app created", p.container("start", "db"), p.container("create", "app"),
		p.container("start", "slow"), p.container("start", "steady"))
	at := cutNow(t, tr.fault("up -d waiting for a dependency's health"))
	tr.dropped(t, c, "up", at)

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

func TestDropDuringDown(t *testing.T) { dropDuringDown(t, tcp) }

func dropDuringDown(t *testing.T, tr transport) {
	p := tr.project(t, restartProject)
	openGate(t, p, "up", "-d", "--wait")
	p.writeVolumeFile("data", "marker", "keep me")
	ev := p.events()
	c := p.start("down")
	ev.next(t, "slow signalled by down", p.container("kill", "slow"))
	at := cutNow(t, tr.fault("down stopping containers"))
	tr.dropped(t, c, "down", at)

	downFinishes(t, p)
}

// tickerUp brings the ticker project up and returns its containers.
func tickerUp(t *testing.T, tr transport) (*project, map[string]ctr) {
	p := tr.project(t, tickerProject)
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

// streams are the streaming commands on the ticker project, each with
// what its output carries once its stream is open.
var streams = []struct {
	fault, command, seen string
	args                 []string
}{
	{"logs -f streaming", "logs", "tick", []string{"logs", "-f", "web"}},
	{"attached up streaming logs", "up", "tick", []string{"up"}},
	{"exec attached", "exec", "started", []string{"exec", "-T", "other", "sh", "-c", "echo started; sleep 100000"}},
	{"watch waiting for changes", "watch", "Watching", []string{"watch", "--no-up", "web"}},
}

// The streaming commands, each cut once its stream carries something: the
// drop kept attached up from stopping its containers, so for every one of
// them the next up finds both running, unchanged.
func TestDropDuringStreams(t *testing.T) { dropDuringStreams(t, tcp) }

func dropDuringStreams(t *testing.T, tr transport) {
	for _, tc := range streams {
		t.Run(tc.command, func(t *testing.T) {
			p, before := tickerUp(t, tr)
			c := p.start(tc.args...)
			c.out.waitFor(t, tc.seen, c)
			at := cutNow(t, tr.fault(tc.fault))
			tr.dropped(t, c, tc.command, at)
			unchanged(t, p, before)
		})
	}
}
