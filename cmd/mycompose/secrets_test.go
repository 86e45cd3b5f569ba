package main

import (
	"os/exec"
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
