package loader

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderRedactsEnvFileValues(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"compose.yaml": "services:\n  web:\n    image: busybox\n    env_file: [secret.env]\n    environment:\n      PLAIN: visible\n      OVERRIDDEN: from-compose\n",
		"secret.env":   "DB_PASSWORD=hunter2\nOVERRIDDEN=from-file\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{WorkDir: dir, Environ: []string{}}
	for _, format := range []string{"yaml", "json"} {
		out, err := Render(context.Background(), opts, format)
		if err != nil {
			t.Fatal(err)
		}
		s := string(out)
		if strings.Contains(s, "hunter2") || !strings.Contains(s, "********") {
			t.Errorf("%s: env_file value not redacted:\n%s", format, s)
		}
		if !strings.Contains(s, "visible") || !strings.Contains(s, "from-compose") {
			t.Errorf("%s: values from the compose file were redacted:\n%s", format, s)
		}
	}
	opts.ShowSecrets = true
	out, err := Render(context.Background(), opts, "yaml")
	if err != nil || !strings.Contains(string(out), "hunter2") {
		t.Errorf("--show-secrets: %v\n%s", err, out)
	}
	// The hash (Load) still sees the real values.
	p, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{}})
	if err != nil || !strings.Contains(strings.Join(p.Services[0].Container.Env, " "), "DB_PASSWORD=hunter2") {
		t.Errorf("Load lost the env_file value: %v", err)
	}
}
