package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// installPlugin installs the test binary as a docker CLI plugin in a fresh
// DOCKER_CONFIG with `make install-plugin`, and returns that directory.
func installPlugin(t *testing.T) string {
	t.Helper()
	cfg := t.TempDir()
	cmd := exec.Command("make", "-s", "-C", filepath.Join("..", ".."), "install-plugin", "BIN="+binary)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install-plugin: %v: %s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(cfg, "cli-plugins", "docker-mycompose")); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("plugin not installed as an executable: %v", err)
	}
	return cfg
}

// dockerPlugin runs the docker CLI in the project directory with the
// plugin's DOCKER_CONFIG.
func (h *harness) dockerPlugin(cfg string, args ...string) result {
	h.t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		h.t.Fatalf("docker %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return result{stdout: out.String(), stderr: errb.String()}
}

// TestDockerPlugin runs mycompose through the docker CLI: `docker mycompose`.
func TestDockerPlugin(t *testing.T) {
	h := newHarness(t, "ux")
	cfg := installPlugin(t)
	p := h.project

	if out := h.dockerPlugin(cfg, "mycompose", "version").stdout; !strings.HasPrefix(out, "mycompose version ") {
		t.Errorf("docker mycompose version: %q", out)
	}
	// The docker CLI lists it with its metadata.
	var plugins []struct{ Name, Vendor, Version, Err string }
	info := h.dockerPlugin(cfg, "info", "--format", "{{json .ClientInfo.Plugins}}").stdout
	if err := json.Unmarshal([]byte(info), &plugins); err != nil {
		t.Fatalf("docker info plugins: %v: %s", err, info)
	}
	found := false
	for _, pl := range plugins {
		if pl.Name == "mycompose" {
			found = pl.Vendor == "mycompose" && pl.Err == ""
		}
	}
	if !found {
		t.Errorf("docker info does not list the plugin as valid: %s", info)
	}

	h.dockerPlugin(cfg, "mycompose", "-p", p, "up", "-d")
	h.want("db-1 running", "migrate-1 exited", "web-1 running")
	if out := h.dockerPlugin(cfg, "mycompose", "-p", p, "ps", "--format", "{{.Name}}").stdout; out != p+"-db-1\n"+p+"-web-1\n" {
		t.Errorf("docker mycompose ps:\n%s", out)
	}
	// docker's global flags before the plugin name reach mycompose.
	dockerConfig(t, cfg, "context", "create", "ux", "--docker", "host="+engineSocket(t))
	if out := h.dockerPlugin(cfg, "--context", "ux", "mycompose", "-p", p, "ps", "-q").stdout; len(strings.Fields(out)) != 2 {
		t.Errorf("docker --context ux mycompose ps -q:\n%s", out)
	}
	// The formats scripts rely on, through the plugin too.
	var stacks []map[string]string
	if err := json.Unmarshal([]byte(h.dockerPlugin(cfg, "mycompose", "ls", "--format", "json", "--filter", "name="+p).stdout), &stacks); err != nil || len(stacks) != 1 {
		t.Errorf("ls --format json: %v %v", stacks, err)
	}
	var images []map[string]any
	if err := json.Unmarshal([]byte(h.dockerPlugin(cfg, "mycompose", "-p", p, "images", "--format", "json").stdout), &images); err != nil || len(images) == 0 {
		t.Errorf("images --format json: %v %v", images, err)
	}
	h.dockerPlugin(cfg, "mycompose", "-p", p, "down")
	h.want()
}
