package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecurityCpDoesNotWriteThroughLinks performs the two-step attack on
// `cp` from a container: the container holds /data/x -> a host file, the
// user copies /data out; the container then replaces x by a regular file
// and the user copies again. The host file must be unchanged and the
// escaping link never created.
func TestSecurityCpDoesNotWriteThroughLinks(t *testing.T) {
	h := newHarness(t, "security")
	h.ok("up", "-d")
	c := h.project + "-app-1"
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	docker(t, "exec", c, "sh", "-c", "mkdir -p /data && echo fine > /data/ok && ln -s "+victim+" /data/x && ln -s ok /data/inside")

	r := h.fails("leaves the destination", "cp", "app:/data", "out")
	if strings.Contains(r.stderr, "goroutine") {
		t.Fatal(r.stderr)
	}
	if _, err := os.Lstat(filepath.Join(h.dir, "out", "x")); !os.IsNotExist(err) {
		t.Fatalf("the escaping link was created on the host: %v", err)
	}
	if got, _ := os.Readlink(filepath.Join(h.dir, "out", "inside")); got != "ok" {
		t.Errorf("inside link = %q, want ok", got)
	}
	// Whatever is at out/x (here: the link an older version made), the
	// next copy replaces it and never writes through it.
	if err := os.Symlink(victim, filepath.Join(h.dir, "out", "x")); err != nil {
		t.Fatal(err)
	}
	docker(t, "exec", c, "sh", "-c", "rm /data/x && echo pwned > /data/x")
	h.ok("cp", "app:/data/x", "out/")
	if data, err := os.ReadFile(victim); err != nil || string(data) != "precious\n" {
		t.Fatalf("the host file behind the link was overwritten: %q, %v", data, err)
	}
	if data, err := os.ReadFile(filepath.Join(h.dir, "out", "x")); err != nil || string(data) != "pwned\n" {
		t.Errorf("out/x = %q, %v; want the container's regular file", data, err)
	}
	// Copying a single file onto an existing host link replaces the link.
	if err := os.Symlink(victim, filepath.Join(h.dir, "one")); err != nil {
		t.Fatal(err)
	}
	h.ok("cp", "app:/data/x", "one")
	if data, _ := os.ReadFile(victim); string(data) != "precious\n" {
		t.Fatalf("cp onto a host link wrote through it: %q", data)
	}
}

// Secret values of the secretsafe fixture.
const (
	envFileSecret = "envfile-secret-71b2" // environment, from env_file
	fileSecret    = "file-secret-5e8d"    // secret db_pw, file:
	envSecret     = "env-secret-a4d0"     // secret token, environment:
)

func secretsafe(t *testing.T) *harness {
	h := newHarness(t, "secretsafe")
	h.env = []string{"TOKEN_VALUE=" + envSecret}
	return h
}

// TestSecurityNoSecretInLabelsOrEvents: after up, no environment or secret
// value appears in the containers' labels, in the engine's events or in
// `ps --format json`; --dry-run still names the environment key that
// changed.
func TestSecurityNoSecretInLabelsOrEvents(t *testing.T) {
	h := secretsafe(t)
	since := time.Now().Add(-time.Second).Unix()
	h.ok("up", "-d")
	until := time.Now().Add(time.Second).Unix()
	c := h.project + "-app-1"
	labels := docker(t, "inspect", "--format", "{{json .Config.Labels}}", c)
	whole := docker(t, "inspect", c)
	events := docker(t, "events", "--since", fmt.Sprint(since), "--until", fmt.Sprint(until),
		"--filter", "label=com.docker.compose.project="+h.project, "--format", "{{json .}}")
	ps := h.ok("ps", "--format", "json").stdout
	if !strings.Contains(events, c) || !strings.Contains(ps, c) || !strings.Contains(labels, "environment.DB_PASSWORD") {
		t.Fatalf("nothing to check:\nevents: %s\nps: %s\nlabels: %s", events, ps, labels)
	}
	for what, out := range map[string]string{"labels": labels, "events": events, "ps --format json": ps} {
		for _, v := range []string{envFileSecret, fileSecret, envSecret} {
			if strings.Contains(out, v) {
				t.Errorf("%s shows the value %q", what, v)
			}
		}
	}
	// The container's own environment holds DB_PASSWORD by definition;
	// the secrets' values appear nowhere in inspect.
	for _, v := range []string{fileSecret, envSecret} {
		if strings.Contains(whole, v) {
			t.Errorf("docker inspect shows the secret value %q", v)
		}
	}
	env := filepath.Join(h.dir, "app.env")
	if err := os.WriteFile(env, []byte("DB_PASSWORD=rotated-value-0c1d\nMODE=prod\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := h.ok("--dry-run", "up", "-d")
	if want := "recreate container " + c + " (environment.DB_PASSWORD changed)"; !strings.Contains(r.stdout, want) {
		t.Errorf("dry run:\n%s\nwant %q", r.stdout, want)
	}
	if strings.Contains(r.stdout+r.stderr, "rotated-value") {
		t.Error("--dry-run prints the value")
	}
}

// TestSecuritySecretsOutOfTheLayer: secrets and configs of a read_only
// service are readable with their owner and mode, are not in the
// container's writable layer (docker diff, docker commit + save), and are
// gone from the host after down.
func TestSecuritySecretsOutOfTheLayer(t *testing.T) {
	h := secretsafe(t)
	h.ok("up", "-d")
	c := h.project + "-app-1"
	read := func(args ...string) string {
		return strings.TrimSpace(docker(t, append([]string{"exec"}, append(args[:len(args)-1:len(args)-1], c, "cat", args[len(args)-1])...)...))
	}
	if got := read("-u", "1000", "/run/secrets/db_pw"); got != fileSecret {
		t.Errorf("db_pw = %q", got)
	}
	if got := read("/run/secrets/token"); got != envSecret {
		t.Errorf("token = %q", got)
	}
	if got := read("/etc/app/app.conf"); got != "conf-content-9c3f" {
		t.Errorf("config = %q", got)
	}
	if got := strings.TrimSpace(docker(t, "exec", c, "stat", "-c", "%u %g %a", "/run/secrets/db_pw")); got != "1000 1001 400" {
		t.Errorf("db_pw owner and mode = %q", got)
	}
	if out, err := exec.Command("docker", "exec", "-u", "2000", c, "cat", "/run/secrets/db_pw").CombinedOutput(); err == nil {
		t.Errorf("another user read the 0400 secret: %s", out)
	}
	// docker diff lists the mount points the engine creates for any bind
	// mount (empty files); their content must not be in the layer.
	img := "mycompose-test/" + h.project + ":committed"
	docker(t, "commit", c, img)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", img).Run() })
	sizes := docker(t, "run", "--rm", "--entrypoint", "stat", img, "-c", "%n %s", "/run/secrets/db_pw", "/run/secrets/token", "/etc/app/app.conf")
	if want := "/run/secrets/db_pw 0\n/run/secrets/token 0\n/etc/app/app.conf 0\n"; sizes != want {
		t.Errorf("the committed image holds content at the secrets' paths:\n%s", sizes)
	}
	saved, err := exec.Command("docker", "save", img).Output()
	if err != nil {
		t.Fatal(err)
	}
	// (The image keeps the container's environment, DB_PASSWORD included,
	// as any committed image does; labels hold no value.)
	for _, v := range []string{fileSecret, envSecret} {
		if bytes.Contains(saved, []byte(v)) {
			t.Errorf("the committed image holds the secret %q", v)
		}
	}
	base := filepath.Join(secretsBase(), h.project)
	if entries, err := os.ReadDir(base); err != nil || len(entries) != 1 {
		t.Fatalf("host secrets directory %s: %v %v", base, entries, err)
	}
	h.ok("down")
	if _, err := os.Stat(base); !os.IsNotExist(err) {
		out, _ := exec.Command("find", base).Output()
		t.Errorf("down left secrets on the host: %v\n%s", err, out)
	}
}

// TestSecurityRotatedSecretRecreates: new content of a file secret
// recreates the container that uses it, --dry-run names the secret, and the
// new content is what the container reads.
func TestSecurityRotatedSecretRecreates(t *testing.T) {
	h := secretsafe(t)
	h.ok("up", "-d")
	c := h.project + "-app-1"
	before := h.containers()[c].ID
	if r := h.ok("--dry-run", "up", "-d"); strings.Contains(r.stdout, "recreate") {
		t.Fatalf("nothing changed, yet:\n%s", r.stdout)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "db_pw.txt"), []byte("rotated-secret-77aa\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := h.ok("--dry-run", "up", "-d")
	if want := "recreate container " + c + " (secret db_pw changed)"; !strings.Contains(r.stdout, want) {
		t.Fatalf("dry run:\n%s\nwant %q", r.stdout, want)
	}
	h.ok("up", "-d")
	if h.containers()[c].ID == before {
		t.Fatal("the container was not recreated")
	}
	if got := strings.TrimSpace(docker(t, "exec", c, "cat", "/run/secrets/db_pw")); got != "rotated-secret-77aa" {
		t.Errorf("after rotation the container reads %q", got)
	}
	if r := h.ok("--dry-run", "up", "-d"); strings.Contains(r.stdout, "recreate") {
		t.Errorf("converged, yet:\n%s", r.stdout)
	}
}

// laughs is a "billion laughs" YAML document: nine levels of nine aliases.
func laughs() string {
	var b strings.Builder
	b.WriteString("x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString("x-" + n + ": &" + n + " [*" + strings.Repeat(prev+",*", 8) + prev + "]\n")
		prev = n
	}
	return b.String() + "services:\n  bomb: {image: busybox}\n"
}

// TestSecurityIncludedAliasBomb: an alias bomb reached through include: is
// refused at once; one whose path only .env names (so that it gets past the
// guard to compose-go) is stopped by SIGTERM within a second, without
// having grown without bound.
func TestSecurityIncludedAliasBomb(t *testing.T) {
	h := newHarness(t, "security")
	compose := "include:\n  - bomb.yaml\nservices:\n  app: {image: mycompose-test/busybox:latest}\n"
	os.WriteFile(filepath.Join(h.dir, "compose.yaml"), []byte(compose), 0o644)
	os.WriteFile(filepath.Join(h.dir, "bomb.yaml"), []byte(laughs()), 0o644)
	start := time.Now()
	h.fails("bomb.yaml", "config")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing the included bomb took %v", d)
	}

	// A load that cannot end by itself (-f - on a stdin kept open) stops on
	// SIGTERM within a second, exit 130. compose-go's YAML decoder now
	// refuses alias bombs on its own, so this is the load left to stop.
	cmd := exec.Command(binary, "-p", h.project, "-f", "-", "config")
	cmd.Dir, cmd.Env = h.dir, append(os.Environ(), h.env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		cmd.Wait()
		done <- cmd.ProcessState.ExitCode()
	}()
	// Signal only once the load is blocked reading the compose file: its
	// signal handling is in place by then.
	eventually(t, 10*time.Second, "the load reading stdin", func() bool { return readingPipe(cmd.Process.Pid) })
	rss := vmHWM(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	start = time.Now()
	select {
	case code := <-done:
		if d := time.Since(start); d > time.Second {
			t.Errorf("SIGTERM stopped the load after %v, want under a second", d)
		}
		if code != 130 {
			t.Errorf("exit code %d, want 130", code)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("SIGTERM did not stop the load within 5 s")
	}
	t.Logf("stopped after %v; peak memory %d MiB", time.Since(start), rss>>20)
}

// readingPipe reports whether a thread of process pid is blocked reading a
// pipe.
func readingPipe(pid int) bool {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", pid))
	for _, f := range tasks {
		if w, err := os.ReadFile(f); err == nil && strings.Contains(string(w), "pipe_read") {
			return true
		}
	}
	return false
}

// vmHWM is a process's peak resident memory in bytes (0 if unknown).
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// TestSecurityCopyFallback: with MYCOMPOSE_SECRETS_DELIVERY=copy (a remote
// engine behind a unix socket) secrets are copied in with their owner and
// mode, nothing is kept on the host, and a read_only service is refused
// with a message that says why.
func TestSecurityCopyFallback(t *testing.T) {
	h := newHarness(t, "secrets")
	h.env = []string{"TOKEN_VALUE=s3cr3t-from-env", "MYCOMPOSE_SECRETS_DELIVERY=copy"}
	h.ok("up", "-d")
	c := h.project + "-app-1"
	if got := strings.TrimSpace(docker(t, "exec", c, "stat", "-c", "%u %g %a", "/run/secrets/token")); got != "1000 1001 400" {
		t.Errorf("copied token owner and mode = %q", got)
	}
	if _, err := os.Stat(filepath.Join(secretsBase(), h.project)); !os.IsNotExist(err) {
		t.Errorf("copy mode kept files on the host: %v", err)
	}
	ro := secretsafe(t)
	ro.env = append(ro.env, "MYCOMPOSE_SECRETS_DELIVERY=copy")
	ro.fails("read_only service can receive secrets and configs only from a local engine", "up", "-d")
}
