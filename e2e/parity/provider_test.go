package parity

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// providerScript is a provider as Docker Compose's protocol has it: it is
// run as `parprov compose --project-name=P up|down [--opt=v...] SERVICE`,
// logs its arguments, and on up reports progress and sets variables (or,
// with PARPROV_FAIL, reports an error).
const providerScript = `#!/bin/sh
if [ "$2" = metadata ]; then
  echo '{"description":"test provider","up":{"parameters":[{"name":"size"},{"name":"tag"}]},"down":{"parameters":[{"name":"size"}]},"stop":{"parameters":[]}}'
  exit 0
fi
echo "$@" >> "$PARPROV_LOG"
if [ "$3" = up ]; then
  echo '{"type":"info","message":"creating the database"}'
  if [ -n "$PARPROV_FAIL" ]; then
    echo '{"type":"error","message":"quota exceeded for the database"}'
    exit 0
  fi
  echo '{"type":"setenv","message":"URL=postgres://db.example:5432/app"}'
  echo '{"type":"rawsetenv","message":"RAW_TOKEN=t0k"}'
fi
`

// TestProviderService: a provider service runs its provider on up, stop
// (its metadata declares one) and down with the project name, the options
// its metadata lists for the command, and its name; the variables it
// sets reach the services that depend on it (SERVICE_KEY for setenv, KEY
// for rawsetenv); an error it reports fails up before its dependents are
// created.
func TestProviderService(t *testing.T) {
	h := newHarness(t, `
services:
  database:
    provider:
      type: parprov
      options:
        size: ["2"]
        tag: [a, b]
  web:
    image: `+testImage+`
    command: `+sleeper+`
    depends_on: [database]
`)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "parprov"), []byte(providerScript), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "calls")
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
	h.env = []string{"PATH=" + path, "PARPROV_LOG=" + log, "PARPROV_FAIL=1"}

	r := h.fails("up", "-d")
	if !strings.Contains(r.stderr, `service "database": provider "parprov": quota exceeded for the database`) {
		t.Errorf("up's error:\n%s", r.stderr)
	}
	if cs := h.containers(); len(cs) != 0 {
		t.Errorf("containers created after the provider failed: %v", cs)
	}

	h.env = []string{"PATH=" + path, "PARPROV_LOG=" + log}
	h.ok("up", "-d")
	var env []string
	inspect(t, h.ctr("web"), ".Config.Env", &env)
	for _, want := range []string{"DATABASE_URL=postgres://db.example:5432/app", "RAW_TOKEN=t0k"} {
		if !slices.Contains(env, want) {
			t.Errorf("web's env %v lacks %s", env, want)
		}
	}
	if cs := h.containers(); len(cs) != 1 {
		t.Errorf("containers %v, want web's only", cs)
	}
	// Same values: the second up changes nothing.
	var id1, id2 string
	inspect(t, h.ctr("web"), ".Id", &id1)
	h.ok("up", "-d")
	inspect(t, h.ctr("web"), ".Id", &id2)
	if id1 != id2 {
		t.Errorf("a second up with the same provider values recreated web")
	}
	h.ok("stop")
	h.ok("down")
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	up := "compose --project-name=" + h.project + " up --size=2 --tag=a --tag=b database"
	// Its metadata declares which options each command takes, and a stop.
	stop := "compose --project-name=" + h.project + " stop database"
	down := "compose --project-name=" + h.project + " down --size=2 database"
	want := strings.Join([]string{up, up, up, stop, down}, "\n")
	if got := strings.TrimSpace(string(data)); got != want {
		t.Errorf("provider calls:\n%s\nwant:\n%s", got, want)
	}
}
