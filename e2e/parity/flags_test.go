package parity

import (
	"strings"
	"testing"
)

// TestCompatibility: --compatibility (or COMPOSE_COMPATIBILITY) names
// containers and default images with underscores, as docker-compose v1.
func TestCompatibility(t *testing.T) {
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
`)
	h.ok("--compatibility", "up", "-d")
	want := h.project + "_app_1"
	if cs := h.containers(); len(cs) != 1 || cs[0] != want {
		t.Fatalf("containers %v, want %s", cs, want)
	}
	var labels map[string]string
	inspect(t, want, ".Config.Labels", &labels)
	if labels["com.docker.compose.service"] != "app" || labels["com.docker.compose.container-number"] != "1" {
		t.Errorf("labels %v", labels)
	}
	// The same project, still in compatibility mode: nothing to do.
	h.env = []string{"COMPOSE_COMPATIBILITY=true"}
	var id1, id2 string
	inspect(t, want, ".Id", &id1)
	h.ok("up", "-d")
	inspect(t, want, ".Id", &id2)
	if id1 != id2 {
		t.Errorf("a second up in compatibility mode recreated the container")
	}
	if out := h.ok("ps", "--format", "{{.Name}}").stdout; strings.TrimSpace(out) != want {
		t.Errorf("ps: %q", out)
	}
}

// TestAllResources: --all-resources creates the networks no service uses
// too; without it they are left out, as Docker Compose does.
func TestAllResources(t *testing.T) {
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
networks:
  spare: {}
`)
	h.ok("up", "-d")
	nets := dockerLines(t, "network", "ls", "--format", "{{.Name}}", "--filter", "label=com.docker.compose.project="+h.project)
	if strings.Join(nets, " ") != h.project+"_default" {
		t.Errorf("networks without --all-resources: %v", nets)
	}
	if out := h.ok("config", "--networks").stdout; strings.TrimSpace(out) != "default" {
		t.Errorf("config --networks: %q", out)
	}
	h.ok("--all-resources", "up", "-d")
	var driver string
	inspect(t, h.project+"_spare", ".Driver", &driver)
	if driver != "bridge" {
		t.Errorf("spare network driver %q", driver)
	}
	if out := h.ok("--all-resources", "config", "--networks").stdout; strings.Fields(out)[1] != "spare" {
		t.Errorf("config --networks --all-resources: %q", out)
	}
}

// TestConfigModels: config --models lists the models, one per line.
func TestConfigModels(t *testing.T) {
	h := newHarness(t, modelsCompose)
	if out := h.ok("config", "--models").stdout; out != "embed-small\nllm\n" {
		t.Errorf("config --models: %q", out)
	}
}

// TestJobsNeedTheEngine: jobs are run by the engine's jobs extension,
// which no engine here has: up leaves a manual job alone, `run JOB` is
// refused naming the engine, config shows the job.
func TestJobsNeedTheEngine(t *testing.T) {
	release, api := engineAPI(t)
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
jobs:
  backup:
    image: `+testImage+`
    command: ["echo", "backup"]
    triggers: {manual: true}
`)
	h.ok("up", "-d")
	if cs := h.containers(); len(cs) != 1 {
		t.Errorf("containers %v, want app's only", cs)
	}
	r := h.fails("run", "backup")
	want := `compose.yaml:10: job "backup": jobs are run by the Docker Engine's jobs extension, which the engine (Docker ` + release + `) used with API ` + api + ` does not provide`
	if !strings.Contains(r.stderr, want) {
		t.Errorf("run backup:\n%s\nwant %q", r.stderr, want)
	}
	if out := h.ok("config").stdout; !strings.Contains(out, "jobs:\n  backup:") {
		t.Errorf("config does not show the job:\n%s", out)
	}
}
