package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The drop tests again, over ssh:// (DOCKER_HOST=ssh://root@<node>): the
// docker CLI's ssh dialer runs the machine's ssh client, one process per
// connection, executing `docker system dial-stdio` in the node. cut drops
// port 22 too, so an ssh connection goes as silent as a tcp one.

// viaSSH reaches the node's engine through its sshd.
var viaSSH = transport{
	name:     "ssh://",
	endpoint: sshEndpoint,
	env:      sshEnv,
}

func sshEndpoint() string { return "ssh://root@" + lab.ip }

// sshEnv starts the node's sshd (if it is not running yet), authorizes a
// key made for this test, and returns the environment that makes
// mycompose use it: DOCKER_HOST, and a PATH whose first ssh is a wrapper
// giving the real one this test's configuration (the dialer runs "ssh"
// from PATH; a user's ~/.ssh is found through the password database, not
// HOME, so a wrapper is the way to a private configuration).
func sshEnv(t *testing.T) []string {
	t.Helper()
	return []string{"DOCKER_HOST=" + sshEndpoint(), sshClient(t, true).path()}
}

// sshWrapper is an ssh client configuration of a test: a key of its own
// and a wrapper named ssh that gives it to the real client and records
// each of its command lines (one a line) in calls.
type sshWrapper struct{ bin, calls string }

// path is the PATH that puts the wrapper first.
func (w sshWrapper) path() string {
	return "PATH=" + w.bin + string(os.PathListSeparator) + os.Getenv("PATH")
}

// sshClient makes a key and a wrapper using it; authorized, the node's
// sshd lets the key in (and is started if it is not running): it returns
// once a login through the wrapper runs the node's docker CLI.
func sshClient(t *testing.T, authorized bool) sshWrapper {
	t.Helper()
	real, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatalf("no ssh client on this machine (scripts/setup.sh swarm-node installs openssh-client): %v", err)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fssh-"+t.Name(), "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authorize := ""
	if authorized {
		authorize = "printf '%s\\n' '" + strings.TrimSpace(string(pub)) + "' >> /root/.ssh/authorized_keys\n"
	}
	if _, err := lab.sh(`test -x /usr/sbin/sshd || { echo "the node image has no sshd: it predates version 2 of the node image; make swarm-node rebuilds it"; exit 1; }
ssh-keygen -A >/dev/null
mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh
` + authorize + `pgrep -x sshd >/dev/null || /usr/sbin/sshd -E /tmp/sshd.log`); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`Host *
  IdentityFile %s
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  BatchMode yes
  LogLevel ERROR
`, key)), 0o600); err != nil {
		t.Fatal(err)
	}
	w := sshWrapper{bin: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls")}
	if err := os.Mkdir(w.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %q\nexec %q -F %q \"$@\"\n", w.calls, real, config)
	if err := os.WriteFile(filepath.Join(w.bin, "ssh"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	if !authorized {
		return w
	}
	// sshd listens once it has started: wait until a login runs the
	// node's docker CLI (what the dialer runs there).
	var out []byte
	if err := lab.waitFor("sshd to let the test's key in", 30*time.Second, func() bool {
		out, err = exec.Command(filepath.Join(w.bin, "ssh"), "root@"+lab.ip, "docker", "version", "-f", "{{.Server.Version}}").CombinedOutput()
		return err == nil
	}); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if err := os.Remove(w.calls); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSSHDropWhileUpWaitsForHealth(t *testing.T) { dropWhileUpWaitsForHealth(t, viaSSH) }

func TestSSHDropDuringDown(t *testing.T) { dropDuringDown(t, viaSSH) }

func TestSSHDropDuringStreams(t *testing.T) { dropDuringStreams(t, viaSSH) }

// The node closes the ssh connections (sshd ends every session, as when
// it restarts or an idle session is reaped): each ssh client exits at
// once ("Connection to … closed by remote host", exit 255), which
// docker/cli's dialer reports as a long error naming the ssh command line;
// mycompose reports the one line of a dropped connection instead. The
// engine itself stays, so the next up over ssh changes nothing.
func TestSSHSessionsClosed(t *testing.T) {
	for _, tc := range streams {
		t.Run(tc.command, func(t *testing.T) {
			p, before := tickerUp(t, viaSSH)
			c := p.start(tc.args...)
			c.out.waitFor(t, tc.seen, c)
			lab.injected("ssh sessions closed by the node: " + tc.fault)
			at := time.Now()
			if _, err := lab.sh("pkill -P $(cat /run/sshd.pid)"); err != nil {
				t.Fatal(err)
			}
			viaSSH.dropped(t, c, tc.command, at)
			unchanged(t, p, before)
		})
	}
}

// cannotConnect runs up -d on the project with env and checks that it
// fails in one line naming the endpoint and what ssh said (reason), with
// neither docker/cli's report nor the ssh command line, nor mycompose's
// guess that the daemon is not running, and that the project's containers
// on the node are as before (unless before is nil).
func cannotConnect(t *testing.T, p *project, env []string, reason string, before map[string]ctr) {
	t.Helper()
	good := p.env
	p.env = env
	at := time.Now()
	code, out := p.run("up", "-d")
	took := time.Since(at).Round(10 * time.Millisecond)
	p.env = good
	first := firstError(out)
	want := "Error: cannot connect to the Docker engine at " + sshEndpoint() + ": ssh: "
	if code == 0 || !strings.HasPrefix(first, want) || !strings.Contains(first, reason) {
		t.Fatalf("exit %d, first error %q, want non-zero and %q ... %q\n%s", code, first, want, reason, out)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 ||
		strings.Contains(out, "dial-stdio") || strings.Contains(out, "make sure the URL") || strings.Contains(out, "is the daemon running?") {
		t.Fatalf("want the one error line, without the ssh command line or docker/cli's report:\n%s", out)
	}
	t.Logf("exit %d after %s: %s", code, took, first)
	if before == nil {
		return
	}
	after := p.containers()
	for name, b := range before {
		if a := after[name]; a.ID != b.ID || a.State != b.State {
			t.Errorf("%s changed: %+v, was %+v", name, a, b)
		}
	}
	if len(after) != len(before) {
		t.Errorf("containers %v, were %v", after, before)
	}
}

// ssh cannot connect at all: the first call's error says what ssh said,
// so a refused key, a closed port and a stopped daemon read apart. The
// engine's state stays as it was, and the next up with the right key
// changes nothing.
func TestSSHCannotConnect(t *testing.T) {
	t.Run("key refused", func(t *testing.T) {
		p, before := tickerUp(t, viaSSH)
		lab.injected("ssh cannot connect: the key is refused")
		stranger := sshClient(t, false)
		cannotConnect(t, p, []string{"DOCKER_HOST=" + sshEndpoint(), stranger.path()}, "Permission denied (publickey", before)
		unchanged(t, p, before)
	})
	t.Run("sshd stopped", func(t *testing.T) {
		p, before := tickerUp(t, viaSSH)
		t.Cleanup(func() { lab.sh("pgrep -x sshd >/dev/null || /usr/sbin/sshd -E /tmp/sshd.log") })
		lab.injected("ssh cannot connect: sshd stopped (port 22 closed)")
		if _, err := lab.sh("pkill -x sshd"); err != nil {
			t.Fatal(err)
		}
		if err := lab.waitFor("sshd to exit", 30*time.Second, func() bool {
			_, err := lab.sh("! pgrep -x sshd")
			return err == nil
		}); err != nil {
			t.Fatal(err)
		}
		cannotConnect(t, p, p.env, "port 22: Connection refused", before)
		// sshEnv starts sshd again, and waits until it lets a key in.
		p.env = sshEnv(t)
		unchanged(t, p, before)
	})
	// sshd lets the key in, and the remote `docker system dial-stdio`
	// finds no daemon: what it said comes through ssh. (Stopping the
	// engine stops the containers: the next up starts them again.)
	t.Run("engine stopped", func(t *testing.T) {
		p, before := tickerUp(t, viaSSH)
		lab.injected("ssh cannot connect: the node's engine stopped, sshd up")
		if err := lab.stopEngine(); err != nil {
			t.Fatal(err)
		}
		cannotConnect(t, p, p.env, "docker.sock", nil)
		if err := lab.startEngine(); err != nil {
			t.Fatal(err)
		}
		p.ok("up", "-d")
		after := p.want(map[string]string{"web-1": "running", "other-1": "running"})
		for name, b := range before {
			if after[name].ID != b.ID {
				t.Errorf("%s was recreated after the engine came back", name)
			}
		}
	})
}

// sshContext makes a docker context named ctxName of the node's engine
// over ssh, with the docker CLI, in a config directory of its own; it
// returns the directory and the wrapper that the context's ssh runs.
func sshContext(t *testing.T) (string, sshWrapper) {
	t.Helper()
	w := sshClient(t, true)
	dir := t.TempDir()
	create := exec.Command("docker", "context", "create", ctxName, "--docker", "host="+sshEndpoint())
	create.Env = append(hostEnv(), "DOCKER_CONFIG="+dir)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("docker context create: %v: %s", err, out)
	}
	return dir, w
}

const ctxName = "fault-lab-ssh"

// viaSSHContext reaches the node's engine through its sshd, chosen by a
// docker context (DOCKER_CONTEXT) rather than DOCKER_HOST.
var viaSSHContext = transport{
	name:     "ssh context",
	endpoint: sshEndpoint,
	env: func(t *testing.T) []string {
		dir, w := sshContext(t)
		return []string{"DOCKER_HOST=", "DOCKER_CONFIG=" + dir, "DOCKER_CONTEXT=" + ctxName, w.path()}
	},
}

// An ssh:// endpoint chosen through a docker context, each way a context
// is chosen: the project converges on the node, and the connection goes
// through ssh (the wrapper ran `docker system dial-stdio`). --context wins
// over DOCKER_HOST (here the node's tcp:// endpoint); the others need no
// DOCKER_HOST.
func TestSSHContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  func(dir string) []string
	}{
		{"--context", []string{"--context", ctxName}, func(string) []string { return nil }},
		{"DOCKER_CONTEXT", nil, func(string) []string { return []string{"DOCKER_HOST=", "DOCKER_CONTEXT=" + ctxName} }},
		{"currentContext", nil, func(dir string) []string {
			if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext": "`+ctxName+`"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"DOCKER_HOST="}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t, tickerProject)
			dir, w := sshContext(t)
			p.env = append([]string{"DOCKER_CONFIG=" + dir, w.path()}, tc.env(dir)...)
			p.ok(append(tc.args, "up", "-d")...)
			p.want(map[string]string{"web-1": "running", "other-1": "running"})
			calls, err := os.ReadFile(w.calls)
			if err != nil || !strings.Contains(string(calls), "docker system dial-stdio") {
				t.Fatalf("up did not go through ssh (%v): %q", err, calls)
			}
			p.ok(append(tc.args, "down")...)
			p.want(map[string]string{})
		})
	}
}

// A connection drop through a docker context ends as it does through
// DOCKER_HOST=ssh://: one line, the engine at ssh://… gone.
func TestSSHContextDropWhileUpWaitsForHealth(t *testing.T) {
	dropWhileUpWaitsForHealth(t, viaSSHContext)
}
