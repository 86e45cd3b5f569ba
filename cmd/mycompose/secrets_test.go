package main

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestSecretsAndConfigs writes secrets and configs with their uid, gid and
// mode; the owner can read a 0400 secret and another user cannot; config
// output never shows secret values.
func TestSecretsAndConfigs(t *testing.T) {
	h := newHarness(t, "secrets")
	h.env = []string{"TOKEN_VALUE=s3cr3t-from-env"}
	h.ok("up", "-d")
	c := h.project + "-app-1"
	stat := func(path string) string {
		return strings.TrimSpace(docker(t, "exec", c, "stat", "-c", "%u %g %a", path))
	}
	if got := stat("/run/secrets/token"); got != "1000 1001 400" {
		t.Errorf("token owner and mode = %q, want 1000 1001 400", got)
	}
	if got := stat("/run/secrets/plain"); got != "0 0 444" {
		t.Errorf("plain owner and mode = %q, want 0 0 444", got)
	}
	if got := stat("/etc/app/app.conf"); got != "0 0 440" {
		t.Errorf("config owner and mode = %q, want 0 0 440", got)
	}
	if got := strings.TrimSpace(docker(t, "exec", "-u", "1000", c, "cat", "/run/secrets/token")); got != "s3cr3t-from-env" {
		t.Errorf("owner reads %q", got)
	}
	if out, err := exec.Command("docker", "exec", "-u", "2000", c, "cat", "/run/secrets/token").CombinedOutput(); err == nil {
		t.Errorf("another user read the 0400 secret: %s", out)
	}
	if got := strings.TrimSpace(docker(t, "exec", c, "cat", "/run/secrets/plain")); got != "file-secret" {
		t.Errorf("file secret = %q", got)
	}
	if got := strings.TrimSpace(docker(t, "exec", c, "cat", "/etc/app/app.conf")); got != "key=value" {
		t.Errorf("config = %q", got)
	}
	// A recreate writes them again.
	h.ok("up", "-d", "--force-recreate")
	if got := stat("/run/secrets/token"); got != "1000 1001 400" {
		t.Errorf("after recreate: %q", got)
	}
	for _, format := range []string{"yaml", "json"} {
		if r := h.ok("config", "--format", format); strings.Contains(r.stdout, "s3cr3t-from-env") || strings.Contains(r.stdout, "file-secret") {
			t.Errorf("config --format %s prints a secret value:\n%s", format, r.stdout)
		}
	}
	if r := h.ok("--dry-run", "up", "-d", "--force-recreate"); strings.Contains(r.stdout+r.stderr, "s3cr3t") {
		t.Error("--dry-run prints a secret value")
	}
}

// TestRunGetsSecretsConfigsAndPlatform proves that `run` creates its one-off
// container through the same pipeline as `up`: the service's secrets and
// configs are there, with their owners and modes, and its platform reaches
// the engine (a platform the local image does not have is refused).
func TestRunGetsSecretsConfigsAndPlatform(t *testing.T) {
	h := newHarness(t, "secrets")
	h.env = []string{"TOKEN_VALUE=s3cr3t-from-env", "APP_PLATFORM=linux/" + runtime.GOARCH}
	if r := h.ok("run", "--rm", "-T", "app", "cat", "/run/secrets/token"); strings.TrimSpace(r.stdout) != "s3cr3t-from-env" {
		t.Errorf("run cat /run/secrets/token = %q, want the secret", r.stdout)
	}
	r := h.ok("run", "--rm", "-T", "app", "stat", "-c", "%u %g %a %n", "/run/secrets/token", "/run/secrets/plain", "/etc/app/app.conf")
	want := "1000 1001 400 /run/secrets/token\n0 0 444 /run/secrets/plain\n0 0 440 /etc/app/app.conf"
	if got := strings.TrimSpace(r.stdout); got != want {
		t.Errorf("owners and modes in the one-off:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(r.stdout+r.stderr, "s3cr3t") {
		t.Error("run prints a secret value it was not asked to")
	}
	// A detached one-off is created the same way; it is left for -d.
	name := strings.TrimSpace(h.ok("run", "-d", "app", "sleep", "30").stdout)
	if got := strings.TrimSpace(docker(t, "exec", name, "cat", "/etc/app/app.conf")); got != "key=value" {
		t.Errorf("detached one-off config = %q", got)
	}
	if got := strings.TrimSpace(docker(t, "inspect", "--format", `{{index .Config.Labels "com.docker.compose.oneoff"}}`, name)); got != "True" {
		t.Errorf("one-off label = %q", got)
	}
	// --rm left nothing behind: only the detached one-off remains.
	if ids := dockerLines(t, "ps", "-aq", "--filter", "label=com.docker.compose.project="+h.project); len(ids) != 1 {
		t.Errorf("containers of the project: %v, want the detached one-off only", ids)
	}
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	h.env = []string{"TOKEN_VALUE=x", "APP_PLATFORM=linux/" + other}
	h.fails("does not match the specified platform", "run", "--rm", "-T", "app", "true")
}
