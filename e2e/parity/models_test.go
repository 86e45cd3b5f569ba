package parity

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// modelPlugin is a stand-in for Docker Model Runner's CLI plugin: it logs
// its calls, lists ai/present as pulled, and reports an endpoint.
const modelPlugin = `#!/bin/sh
case "$1" in
docker-cli-plugin-metadata) echo '{"SchemaVersion":"0.1.0","Vendor":"test","Version":"v1.0.7"}'; exit 0;;
esac
echo "$@" >> "$MODEL_LOG"
case "$1" in
status) echo '{"running":true,"endpoint":"http://model-runner.test:12434/engines/v1/"}';;
ls) echo '[{"id":"sha256:1","tags":["ai/present"]}]';;
esac
`

const modelsCompose = `
services:
  app:
    image: ` + testImage + `
    command: ` + sleeper + `
    models:
      llm: {}
      embed-small:
        endpoint_var: EMBED_ENDPOINT
        model_var: EMBED_NAME
models:
  llm:
    model: ai/smollm2
    context_size: 4096
    runtime_flags: ["--temp", "0"]
  embed-small:
    model: ai/present
`

// TestModels: with Docker Model Runner's plugin, missing models are
// pulled, every model is configured (context size, runtime flags), and the
// service gets the endpoint and model variables (Compose's defaults or
// its own names); without it, up names what is missing and creates
// nothing.
func TestModels(t *testing.T) {
	h := newHarness(t, modelsCompose)
	cfg := t.TempDir()
	h.env = []string{"DOCKER_CONFIG=" + cfg}
	r := h.fails("up", "-d")
	want := `service "app" uses models: Docker Model Runner is not available on this engine: its Docker CLI plugin docker-model is not installed (looked in ` + filepath.Join(cfg, "cli-plugins")
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, "not supported") {
		t.Errorf("models refused as unsupported:\n%s", r.stderr)
	}
	if cs := h.containers(); len(cs) != 0 {
		t.Errorf("containers created: %v", cs)
	}

	if err := os.MkdirAll(filepath.Join(cfg, "cli-plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "cli-plugins", "docker-model"), []byte(modelPlugin), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "calls")
	h.env = append(h.env, "MODEL_LOG="+log)
	h.ok("up", "-d")
	var env []string
	inspect(t, h.ctr("app"), ".Config.Env", &env)
	for _, w := range []string{"LLM_URL=http://model-runner.test:12434/engines/v1/", "LLM_MODEL=ai/smollm2",
		"EMBED_ENDPOINT=http://model-runner.test:12434/engines/v1/", "EMBED_NAME=ai/present"} {
		if !slices.Contains(env, w) {
			t.Errorf("env %v lacks %s", env, w)
		}
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Split(strings.TrimSpace(string(data)), "\n")
	wantCalls := []string{"status --json", "ls --json", "configure ai/present", "pull ai/smollm2", "configure --context-size 4096 ai/smollm2 -- --temp 0"}
	if strings.Join(calls, "|") != strings.Join(wantCalls, "|") {
		t.Errorf("docker model calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(wantCalls, "\n"))
	}
}
