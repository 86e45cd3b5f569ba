package faults

import (
	"strings"
	"testing"
	"time"
)

// restartProject: db gates app on its health (the gate is a file of its
// volume, so the test decides when up may go on), slow ignores SIGTERM so
// that stopping it keeps a call in flight, steady is restarted by the
// engine itself (restart: always).
const restartProject = `
services:
  db:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    volumes: [data:/data]
    healthcheck:
      test: ["CMD", "test", "-f", "/data/gate"]
      interval: 1s
      retries: 100000
  app:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    depends_on:
      db: {condition: service_healthy}
  slow:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "" TERM; sleep 100000 & while :; do wait; done'
    stop_grace_period: 20s
    environment: [GEN=1]
    volumes: [data:/data]
  steady:
    image: mycompose-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
    restart: always
volumes:
  data: {}
`

// goneLine checks the failing command's exit code and first error line.
func goneLine(t *testing.T, c *cmd, command string) {
	t.Helper()
	code := c.wait(t, 2*time.Minute)
	out := c.out.String()
	first := firstError(out)
	if code != 1 || !strings.Contains(first, "Error: "+command+": ") || !strings.Contains(first, "went away") ||
		!strings.Contains(first, "again") {
		t.Fatalf("exit %d, first error %q, want 1 and %q ... went away ... again\n%s", code, first, command, out)
	}
	t.Logf("exit %d: %s", code, first)
}

// The engine restarts while up waits for a dependency's health: up fails
// with one line; the restart stopped db and left steady running (its
// policy); the next up starts db (same container), creates app, and
// touches nothing else.
func TestEngineRestartWhileUpWaitsForHealth(t *testing.T) {
	p := newProject(t, restartProject)
	ev := p.events()
	c := p.start("up", "-d")
	ev.all(t, "db, slow and steady started, app created", p.container("start", "db"), p.container("create", "app"),
		p.container("start", "slow"), p.container("start", "steady"))
	lab.injected("engine restart: up -d waiting for a dependency's health")
	if err := lab.restartEngine(); err != nil {
		t.Fatal(err)
	}
	goneLine(t, c, "up")

	// app may have been created already (creation does not wait for
	// conditions, the start does), never started.
	before := p.want(map[string]string{"db-1": "exited", "app-1": "created", "slow-1": "exited", "steady-1": "running"})
	p.writeVolumeFile("data", "gate", "open")
	p.ok("up", "-d")
	after := p.want(map[string]string{"db-1": "running", "app-1": "running", "slow-1": "running", "steady-1": "running"})
	for _, n := range []string{"db-1", "app-1", "slow-1", "steady-1"} {
		if before[p.name+"-"+n].ID != after[p.name+"-"+n].ID {
			t.Errorf("%s was recreated after the restart; want it started", n)
		}
	}
	if nets := p.networks(); len(nets) != 1 {
		t.Errorf("networks %v, want one", nets)
	}
}

// openGate runs mycompose args, opens db's gate once it started db, and
// waits for the command to succeed.
func openGate(t *testing.T, p *project, args ...string) {
	t.Helper()
	ev := p.events()
	c := p.start(args...)
	ev.next(t, "db started", p.container("start", "db"))
	p.writeVolumeFile("data", "gate", "open")
	if code := c.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("%v: exit %d\n%s", c.c.Args, code, c.out.String())
	}
}

// upRunning brings the project fully up and marks its volume.
func upRunning(t *testing.T) *project {
	p := newProject(t, restartProject)
	openGate(t, p, "up", "-d", "--wait")
	p.writeVolumeFile("data", "marker", "keep me")
	return p
}

// The engine restarts in the middle of a recreate, while the old slow
// container is being stopped: the next up leaves exactly one slow
// container, of the new configuration, under its own name, and the
// volume's data intact.
func TestEngineRestartDuringRecreate(t *testing.T) {
	p := upRunning(t)
	before := p.want(map[string]string{"db-1": "running", "app-1": "running", "slow-1": "running", "steady-1": "running"})
	p.write(strings.Replace(restartProject, "GEN=1", "GEN=2", 1))
	ev := p.events()
	c := p.start("up", "-d")
	ev.next(t, "the old slow container signalled", p.container("kill", "slow"))
	lab.injected("engine restart: up -d recreating (old container stopping)")
	if err := lab.restartEngine(); err != nil {
		t.Fatal(err)
	}
	goneLine(t, c, "up")

	p.ok("up", "-d", "--wait")
	after := p.want(map[string]string{"db-1": "running", "app-1": "running", "slow-1": "running", "steady-1": "running"})
	if after[p.name+"-slow-1"].ID == before[p.name+"-slow-1"].ID {
		t.Error("slow-1 was not recreated")
	}
	for _, n := range []string{"db-1", "app-1", "steady-1"} {
		if before[p.name+"-"+n].ID != after[p.name+"-"+n].ID {
			t.Errorf("%s was recreated; only slow changed", n)
		}
	}
	env, err := lab.docker("inspect", "-f", "{{range .Config.Env}}{{.}} {{end}}", p.name+"-slow-1")
	if err != nil || !strings.Contains(env, "GEN=2") {
		t.Errorf("slow-1 env %q (%v), want GEN=2", env, err)
	}
	if got := p.volumeFile("data", "marker"); got != "keep me" {
		t.Errorf("volume data %q, want %q", got, "keep me")
	}
}

// The engine restarts while down stops the slow container: down fails
// with one line; the next down removes every container and the network,
// and keeps the volume and its data (no -v).
func TestEngineRestartDuringDown(t *testing.T) {
	p := upRunning(t)
	ev := p.events()
	c := p.start("down")
	ev.next(t, "slow signalled by down", p.container("kill", "slow"))
	lab.injected("engine restart: down stopping containers")
	if err := lab.restartEngine(); err != nil {
		t.Fatal(err)
	}
	goneLine(t, c, "down")

	downFinishes(t, p)
}

// downFinishes runs down again: every container and the network go, the
// volume and its data stay (no -v).
func downFinishes(t *testing.T, p *project) {
	t.Helper()
	p.ok("down")
	p.want(map[string]string{})
	if nets := p.networks(); len(nets) != 0 {
		t.Errorf("networks %v left after down", nets)
	}
	if got := p.volumeFile("data", "marker"); got != "keep me" {
		t.Errorf("volume data %q, want %q", got, "keep me")
	}
}
