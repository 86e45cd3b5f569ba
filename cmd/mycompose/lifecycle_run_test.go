package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestRunOneOff: run starts the dependencies, creates a labelled one-off
// container and returns its exit code; --rm leaves nothing behind.
func TestRunOneOff(t *testing.T) {
	h := newHarness(t, "lifecycle")
	p := h.project

	h.code(3, "run", "web", "sh", "-c", "exit 3")
	cs := h.containers()
	if c, ok := cs[p+"-db-1"]; !ok || c.State.Status != "running" {
		t.Errorf("run did not start the dependency db: %v", h.names())
	}
	if _, ok := cs[p+"-web-1"]; ok {
		t.Errorf("run created the service's own container: %v", h.names())
	}
	offs := h.oneOffs()
	if len(offs) != 1 {
		t.Fatalf("one-offs: %v", h.names())
	}
	c := offs[0]
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `-web-run-[0-9a-f]{12}$`).MatchString(c.Name) {
		t.Errorf("one-off name %q", c.Name)
	}
	slug := c.Labels["com.docker.compose.slug"]
	if !hex64.MatchString(slug) || !strings.HasSuffix(c.Name, "-"+slug[:12]) {
		t.Errorf("slug label %q does not match the name %q", slug, c.Name)
	}
	if _, ok := c.Labels["com.docker.compose.container-number"]; ok {
		t.Errorf("one-off has a container-number label")
	}
	if c.Labels["com.docker.compose.service"] != "web" || c.Labels["com.docker.compose.project"] != p {
		t.Errorf("one-off labels: %v", c.Labels)
	}
	if c.State.Status != "exited" {
		t.Errorf("one-off state %q", c.State.Status)
	}
	if len(c.Ports) != 0 {
		for _, b := range c.Ports {
			if len(b) > 0 {
				t.Errorf("one-off publishes the service's ports without --service-ports: %v", c.Ports)
			}
		}
	}

	// --rm removes the container, whatever its exit code.
	h.code(0, "run", "--rm", "web", "true")
	h.code(2, "run", "--rm", "--no-deps", "worker", "sh", "-c", "exit 2")
	if offs := h.oneOffs(); len(offs) != 1 {
		t.Errorf("run --rm left containers: %v", h.names())
	}
}

// TestRunStdinAndOptions: piped stdin reaches the command; -e, -w, -u,
// --entrypoint and --name apply; --no-deps starts nothing else.
func TestRunStdinAndOptions(t *testing.T) {
	h := newHarness(t, "lifecycle")

	r := h.runStdin("line one\nline two\n", "run", "--rm", "--no-deps", "-T", "db", "cat")
	if r.code != 0 || r.stdout != "line one\nline two\n" {
		t.Fatalf("piped run: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if names := h.names(); len(names) != 0 {
		t.Errorf("run --no-deps created %v", names)
	}
	r = h.ok("run", "--rm", "--no-deps", "-e", "FOO=bar", "-w", "/tmp", "-u", "1000", "--entrypoint", "sh -c",
		"db", "echo $FOO $(pwd) $(id -u) $GREETING")
	if got := strings.TrimSpace(r.stdout); got != "bar /tmp 1000" {
		t.Errorf("run options: %q", got)
	}
	r = h.ok("run", "--rm", "--no-deps", "web", "sh", "-c", "echo $GREETING")
	if got := strings.TrimSpace(r.stdout); got != "hello" {
		t.Errorf("service environment in a one-off: %q", got)
	}
	h.ok("run", "-d", "--no-deps", "--name", h.project+"-custom", "db")
	if c, ok := h.containers()[h.project+"-custom"]; !ok || c.State.Status != "running" {
		t.Errorf("run -d --name: %v", h.names())
	}
}

// TestOneOffSurvivesServiceLifecycle: stop, start and restart of a service
// leave its one-off containers alone.
func TestOneOffSurvivesServiceLifecycle(t *testing.T) {
	h := newHarness(t, "lifecycle")
	h.ok("up", "-d")
	name := strings.TrimSpace(h.ok("run", "-d", "web").stdout)
	if !strings.HasPrefix(name, h.project+"-web-run-") {
		t.Fatalf("run -d printed %q, want the container name", name)
	}
	before, _ := times(t, name)
	h.ok("restart", "-t", "1", "web")
	h.ok("stop", "-t", "1", "web")
	h.ok("start", "web")
	cs := h.containers()
	if cs[name].State.Status != "running" {
		t.Fatalf("one-off after restart/stop/start: %v", h.names())
	}
	if after, _ := times(t, name); !after.Equal(before) {
		t.Errorf("one-off was restarted: started %v, then %v", before, after)
	}
	if cs[h.project+"-web-1"].State.Status != "running" {
		t.Errorf("web-1 not running again: %v", h.names())
	}
}
