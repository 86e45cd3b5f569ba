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
	if _, err := lab.sh(`test -x /usr/sbin/sshd || { echo "the node image has no sshd: it predates version 2 of the node image; make swarm-node rebuilds it"; exit 1; }
ssh-keygen -A >/dev/null
mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh
printf '%s\n' '` + strings.TrimSpace(string(pub)) + `' >> /root/.ssh/authorized_keys
pgrep -x sshd >/dev/null || /usr/sbin/sshd -E /tmp/sshd.log`); err != nil {
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
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := fmt.Sprintf("#!/bin/sh\nexec %q -F %q \"$@\"\n", real, config)
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// sshd listens once it has started: wait until a login runs the
	// node's docker CLI (what the dialer runs there).
	var out []byte
	if err := lab.waitFor("sshd to let the test's key in", 30*time.Second, func() bool {
		out, err = exec.Command(filepath.Join(bin, "ssh"), "root@"+lab.ip, "docker", "version", "-f", "{{.Server.Version}}").CombinedOutput()
		return err == nil
	}); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return []string{"DOCKER_HOST=" + sshEndpoint(), "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
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
