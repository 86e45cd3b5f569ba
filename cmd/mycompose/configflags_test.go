package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigFlags: config's lists, service selection (a profile-disabled
// service named on the command line is enabled), variables, environment,
// -o and the --no-* steps.
func TestConfigFlags(t *testing.T) {
	h := newHarness(t, "configflags")
	lines := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(h.ok(append([]string{"config"}, args...)...).stdout)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--services"}, "db\nweb"},
		{[]string{"--volumes"}, "data\ndbdata"}, // unused is declared but no service mounts it
		{[]string{"--networks"}, "default\nfront"},
		{[]string{"--images"}, "mycompose-test/busybox:latest\nmycompose-test/busybox:latest"},
		{[]string{"--profiles"}, "tools"},
		{[]string{"--services", "web"}, "db\nweb"}, // with its dependency
		{[]string{"--services", "debug"}, "debug"}, // enabled although its profile is not
		{[]string{"--networks", "debug"}, "back"},
		{[]string{"--volumes", "db"}, "dbdata"},
	}
	for _, c := range cases {
		if got := lines(c.args...); got != c.want {
			t.Errorf("config %s:\n%s\nwant:\n%s", strings.Join(c.args, " "), got, c.want)
		}
	}

	vars := lines("--variables")
	for _, want := range []string{"GREETING true", "OPTIONAL false present", "TAG false latest"} {
		if !strings.Contains(strings.Join(strings.Fields(vars), " "), want) {
			t.Errorf("config --variables lacks %q:\n%s", want, vars)
		}
	}
	if env := lines("--environment"); !strings.Contains("\n"+env+"\n", "\nGREETING=hello\n") {
		t.Errorf("config --environment lacks GREETING=hello from .env")
	}

	out := filepath.Join(t.TempDir(), "resolved.yaml")
	h.ok("config", "-o", out, "debug")
	data, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(data), "debug:") || strings.Contains(string(data), "web:") {
		t.Fatalf("config -o debug wrote:\n%s (%v)", data, err)
	}
	raw := lines("--no-interpolate")
	if !strings.Contains(raw, "${GREETING:?set GREETING}") && !strings.Contains(raw, "$${GREETING:?set GREETING}") {
		t.Errorf("config --no-interpolate interpolated:\n%s", raw)
	}
	if rel := lines("--no-path-resolution", "--format", "json"); strings.Contains(rel, h.dir) {
		t.Errorf("config --no-path-resolution resolved paths against %s", h.dir)
	}
	h.fails(`no such service: "nope" (services: [db web])`, "config", "nope")
}
