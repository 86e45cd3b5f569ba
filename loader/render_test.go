package loader

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const renderYAML = `
services:
  web:
    image: busybox
    command: ["echo", "$$HOME", "${GREETING}"]
    env_file: web.env
    volumes: [data:/data]
networks:
  unused: {}
volumes:
  data: {}
`

func render(t *testing.T, format string) []byte {
	t.Helper()
	dir := inlineDir(t, renderYAML, map[string]string{"web.env": "FROM_FILE=1\n"})
	out, err := Render(t.Context(), Options{WorkDir: dir, Environ: []string{"GREETING=hi"}}, format)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return out
}

func TestRenderYAML(t *testing.T) {
	out := render(t, "yaml")
	var doc struct {
		Name     string
		Services map[string]struct {
			Command     []string
			Environment map[string]string
			EnvFile     any `yaml:"env_file"`
		}
		Networks map[string]any
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	web := doc.Services["web"]
	// Values from env_files are redacted unless --show-secrets.
	if doc.Name != "app" || web.Environment["FROM_FILE"] != "********" || web.EnvFile != nil {
		t.Errorf("env_file must be resolved, redacted and dropped:\n%s", out)
	}
	// Interpolated, with literal dollars escaped back, as docker compose config prints.
	if strings.Join(web.Command, " ") != "echo $$HOME hi" {
		t.Errorf("command %q", web.Command)
	}
	if _, ok := doc.Networks["unused"]; ok {
		t.Errorf("unused network rendered:\n%s", out)
	}
}

func TestRenderJSON(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(render(t, "json"), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["name"] != "app" || doc["services"] == nil || doc["volumes"] == nil {
		t.Errorf("doc %v", doc)
	}
}

func TestRenderRefusesLikeLoad(t *testing.T) {
	dir := inlineDir(t, "services:\n  web: {image: busybox, credential_spec: {file: x.json}}\n", nil)
	if _, err := Render(t.Context(), Options{WorkDir: dir, Environ: []string{}}, "yaml"); err == nil ||
		!strings.Contains(err.Error(), `key "credential_spec" cannot be used: Windows only`) {
		t.Errorf("err %v", err)
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	if _, err := Render(t.Context(), Options{WorkDir: t.TempDir()}, "toml"); err == nil ||
		!strings.Contains(err.Error(), `unsupported format "toml"`) {
		t.Errorf("err %v", err)
	}
}
