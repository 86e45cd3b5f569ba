package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// engineSocket is the endpoint the docker CLI uses here (DOCKER_HOST or the
// current context), so that the contexts the tests create reach this engine.
func engineSocket(t *testing.T) string {
	t.Helper()
	host := strings.TrimSpace(docker(t, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"))
	if host == "" {
		t.Fatal("docker context inspect: no endpoint")
	}
	return host
}

// dockerConfig runs the docker CLI with DOCKER_CONFIG=dir and without
// DOCKER_HOST or DOCKER_CONTEXT, so that it reads and writes that dir's
// contexts.
func dockerConfig(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Env = append(withoutEnv(os.Environ(), "DOCKER_HOST", "DOCKER_CONTEXT"), "DOCKER_CONFIG="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("DOCKER_CONFIG=%s docker %s: %v: %s", dir, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func withoutEnv(env []string, keys ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, drop := range keys {
			keep = keep && k != drop
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// TestContexts: contexts created by the docker CLI in a temporary
// DOCKER_CONFIG are used via --context, DOCKER_CONTEXT and currentContext,
// with the docker CLI's precedence, and errors name the endpoint.
func TestContexts(t *testing.T) {
	h := newHarness(t, "ux")
	cfg := t.TempDir()
	missing := filepath.Join(t.TempDir(), "nonexistent.sock")
	dockerConfig(t, cfg, "context", "create", "ux", "--docker", "host="+engineSocket(t))
	dockerConfig(t, cfg, "context", "create", "broken", "--docker", "host=unix://"+missing)
	dockerConfig(t, cfg, "context", "use", "broken")
	base := []string{"DOCKER_CONFIG=" + cfg, "DOCKER_HOST=", "DOCKER_CONTEXT="}

	// The current context is used: it points nowhere, and the error says so.
	h.env = base
	r := h.fails("unix://"+missing, "ps")
	if !strings.Contains(r.stderr, `docker context "broken", from currentContext in `+filepath.Join(cfg, "config.json")) {
		t.Errorf("the error does not name the context:\n%s", r.stderr)
	}

	// --context beats currentContext: a full round trip.
	h.ok("--context", "ux", "up", "-d")
	h.want("db-1 running", "migrate-1 exited", "web-1 running")
	if out := h.ok("--context", "ux", "ps").stdout; !strings.Contains(out, h.project+"-web-1") {
		t.Errorf("ps via --context:\n%s", out)
	}

	// DOCKER_CONTEXT beats currentContext.
	h.env = append(base, "DOCKER_CONTEXT=ux")
	if out := h.ok("ps").stdout; !strings.Contains(out, h.project+"-db-1") {
		t.Errorf("ps via DOCKER_CONTEXT:\n%s", out)
	}
	// --context beats DOCKER_CONTEXT.
	h.fails("unix://"+missing, "--context", "broken", "ps")

	// DOCKER_HOST beats DOCKER_CONTEXT, and a closed port fails fast, named.
	h.env = append(base, "DOCKER_CONTEXT=ux", "DOCKER_HOST=tcp://127.0.0.1:1")
	start := time.Now()
	r = h.fails("tcp://127.0.0.1:1", "ps")
	if !strings.Contains(r.stderr, "from DOCKER_HOST") {
		t.Errorf("the error does not say DOCKER_HOST chose the endpoint:\n%s", r.stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("an unreachable DOCKER_HOST took %v to fail", d)
	}
	// -H beats DOCKER_HOST.
	h.ok("-H", engineSocket(t), "ps")

	// An unknown context lists the available ones.
	h.env = base
	h.fails(`docker context "nope" (from --context) does not exist`, "--context", "nope", "ps")
	h.fails("available contexts: default, broken, ux", "--context", "nope", "ps")

	// currentContext pointing at the engine: ps and down work without flags.
	dockerConfig(t, cfg, "context", "use", "ux")
	if out := h.ok("ps").stdout; !strings.Contains(out, h.project+"-web-1") {
		t.Errorf("ps via currentContext:\n%s", out)
	}
	h.ok("down")
	h.want()
}
