package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const completionCompose = `services:
  web:
    image: img
    depends_on: [db]
  db:
    image: img
  debug:
    image: img
    profiles: [tools]
`

// runCLI runs one command line in dir and returns its exit code and output.
func runCLI(t *testing.T, dir string, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	deps := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: environ, WorkDir: dir}
	code := Run(context.Background(), deps, args)
	return code, out.String(), errb.String()
}

func completionDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(completionCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// completions returns the candidates of `mycompose __complete args...`
// (the lines before cobra's ":directive" line).
func completions(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	code, out, errs := runCLI(t, dir, nil, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, code, errs)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, ":") {
			got = append(got, l)
		}
	}
	return got
}

func TestCompleteServices(t *testing.T) {
	dir := completionDir(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"ps", ""}, "db,debug,web"},
		{[]string{"up", "-d", "w"}, "web"},
		{[]string{"logs", "web", ""}, "db,debug"},
		{[]string{"exec", ""}, "db,debug,web"},
		{[]string{"exec", "web", ""}, ""},
		{[]string{"scale", "web=2", ""}, "db=,debug="},
		{[]string{"up", "--exit-code-from", ""}, "db,debug,web"},
		{[]string{"wait", "db", ""}, "debug,web"},
		{[]string{"-f", filepath.Join(dir, "compose.yaml"), "stop", "d"}, "db,debug"},
		{[]string{"down", ""}, "db,debug,web"},
		{[]string{"version", ""}, ""},
	}
	for _, c := range cases {
		if got := strings.Join(completions(t, dir, c.args...), ","); got != c.want {
			t.Errorf("__complete %v = %q, want %q", c.args, got, c.want)
		}
	}
	// With the project from -f, from anywhere.
	if got := strings.Join(completions(t, t.TempDir(), "-f", filepath.Join(dir, "compose.yaml"), "ps", ""), ","); got != "db,debug,web" {
		t.Errorf("with -f: %q", got)
	}
}

func TestCompleteWithoutProjectOffersNothing(t *testing.T) {
	if got := completions(t, t.TempDir(), "ps", ""); len(got) != 0 {
		t.Errorf("no compose file: got %v", got)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services: [broken"), 0o644)
	if got := completions(t, dir, "up", ""); len(got) != 0 {
		t.Errorf("broken compose file: got %v", got)
	}
}

func TestServiceArgsOfEveryCommand(t *testing.T) {
	want := map[string]serviceArgs{
		"up": manyServices, "ps": manyServices, "wait": manyServices, "exec": firstService,
		"run": firstService, "port": firstService, "scale": serviceScales, "down": manyServices,
		"cp": noServices, "ls": noServices, "version": noServices, "config": manyServices,
		"attach": firstService, "export": firstService, "commit": firstService, "stats": manyServices, "volumes": manyServices,
	}
	root := NewRootCommand(&Deps{})
	for _, cmd := range root.Commands() {
		if w, ok := want[cmd.Name()]; ok {
			if got := serviceArgsOf(cmd.Use); got != w {
				t.Errorf("%s (%q): %v, want %v", cmd.Name(), cmd.Use, got, w)
			}
			delete(want, cmd.Name())
		}
	}
	if len(want) > 0 {
		t.Errorf("commands not found: %v", want)
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errs := runCLI(t, t.TempDir(), nil, "completion", shell)
		if code != 0 || !strings.Contains(out, "mycompose") || len(out) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes: %s", shell, code, len(out), errs)
		}
		if shell == "bash" {
			if _, err := exec.LookPath("bash"); err == nil {
				cmd := exec.Command("bash", "-n")
				cmd.Stdin = strings.NewReader(out)
				if msg, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v: %s", err, msg)
				}
			}
		}
	}
	if code, _, errs := runCLI(t, t.TempDir(), nil, "completion"); code != 1 || !strings.Contains(errs, "bash, zsh, fish") {
		t.Errorf("completion without a shell: exit %d: %s", code, errs)
	}
	if code, _, errs := runCLI(t, t.TempDir(), nil, "completion", "tcsh"); code != 1 || !strings.Contains(errs, `"tcsh"`) {
		t.Errorf("completion tcsh: exit %d: %s", code, errs)
	}
}

func TestCompleteContexts(t *testing.T) {
	code, out, _ := runCLI(t, t.TempDir(), []string{"DOCKER_CONFIG=" + t.TempDir()}, "__complete", "--context", "")
	if code != 0 || !strings.HasPrefix(out, "default\n") {
		t.Errorf("--context completion: exit %d: %q", code, out)
	}
}
