package main

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
)

// freePort returns a host port that nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPortHeldByAnotherProject: the second project publishing the same
// fixed host port fails naming the container, project and service that
// hold it, and how to fix it.
func TestPortHeldByAnotherProject(t *testing.T) {
	first, second := newHarness(t, "ux"), newHarness(t, "ux")
	port := freePort(t)
	publish := fmt.Sprintf("UX_PUBLISH=%d:8080", port)
	first.env, second.env = []string{publish}, []string{publish}
	first.ok("up", "-d")
	first.want("db-1 running", "migrate-1 exited", "web-1 running")

	want := fmt.Sprintf(`start container %q: port %d is already allocated by container %q (project %q, service "web"): `+
		`publish another host port for "web", or stop that container first (mycompose -p %s stop web)`,
		second.project+"-web-1", port, first.project+"-web-1", first.project, first.project)
	r := second.fails(want, "up", "-d")
	if strings.Contains(r.stderr, "driver failed programming") {
		t.Errorf("the engine's raw message is repeated:\n%s", r.stderr)
	}
	// The fix it names works.
	first.ok("stop", "web")
	second.ok("up", "-d")
	second.want("db-1 running", "migrate-1 exited", "web-1 running")
}

// TestCompletionAndGraph runs completion and graph on a fixture.
func TestCompletionAndGraph(t *testing.T) {
	h := newHarness(t, "ux")
	r := h.runIn(h.dir, "__complete", "ps", "")
	out := r.stdout
	if r.code != 0 {
		t.Fatalf("__complete: exit %d: %s", r.code, r.stderr)
	}
	if got := strings.Join(strings.Split(strings.TrimSpace(out), "\n"), " "); got != "db migrate web :4" {
		t.Errorf("__complete ps: %q", got)
	}
	script := h.ok("completion", "bash").stdout
	bash := exec.Command("bash", "-n")
	bash.Stdin = strings.NewReader(script)
	if msg, err := bash.CombinedOutput(); err != nil || script == "" {
		t.Errorf("completion bash does not parse: %v: %s", err, msg)
	}
	for _, shell := range []string{"zsh", "fish"} {
		if h.ok("completion", shell).stdout == "" {
			t.Errorf("completion %s is empty", shell)
		}
	}

	wantMermaid := "%% project " + h.project + `: an arrow goes from a service to a service it depends on
flowchart LR
  db["db"]
  migrate["migrate"]
  web["web"]
  migrate --> db
  web --> db
  web -->|service_completed_successfully| migrate
`
	if got := h.ok("graph").stdout; got != wantMermaid {
		t.Errorf("graph:\n%s\nwant:\n%s", got, wantMermaid)
	}
	wantDot := `digraph "` + h.project + `" {
  rankdir=LR;
  node [shape=box];
  "db";
  "migrate";
  "web";
  "migrate" -> "db";
  "web" -> "db";
  "web" -> "migrate" [label="service_completed_successfully"];
}
`
	if got := h.ok("graph", "--format", "dot").stdout; got != wantDot {
		t.Errorf("graph --format dot:\n%s\nwant:\n%s", got, wantDot)
	}
	h.fails(`invalid --format "svg": use mermaid or dot`, "graph", "--format", "svg")
	if len(h.containers()) != 0 {
		t.Error("graph or completion touched the engine")
	}
}
