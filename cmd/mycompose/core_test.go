package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCoreLifecycle walks the core engine's promise end to end: up, no-op
// up, a changed environment recreating one service, scale up and down, down
// keeping the named volume and its data, and down -v removing it.
func TestCoreLifecycle(t *testing.T) {
	h := newHarness(t, "core")
	p := h.project

	h.ok("up", "-d")
	cs := h.want("db-1 running", "web-1 running", "worker-1 running")
	assertComposeLabels(t, h, cs[p+"-web-1"], "web", "1")
	if got := cs[p+"-web-1"].Labels["com.docker.compose.depends_on"]; got != "db:service_started:false" {
		t.Errorf("depends_on label = %q", got)
	}
	if got := cs[p+"-web-1"].Labels["org.example.tier"]; got != "front" {
		t.Errorf("user label = %q", got)
	}
	if ports := cs[p+"-web-1"].Ports["8080/tcp"]; len(ports) == 0 || ports[0].HostPort == "" {
		t.Errorf("port 8080 not published: %+v", cs[p+"-web-1"].Ports)
	}
	if n := h.networks(); strings.Join(n, ",") != p+"_default" {
		t.Errorf("networks = %v", n)
	}
	if v := h.volumes(); strings.Join(v, ",") != p+"_data" {
		t.Errorf("volumes = %v", v)
	}
	aliases := cs[p+"-web-1"].Networks[p+"_default"].Aliases
	if !containsString(aliases, "web") {
		t.Errorf("web's aliases %v lack the service name", aliases)
	}
	docker(t, "exec", p+"-db-1", "sh", "-c", "echo kept > /data/proof")

	// A second up changes nothing: same IDs, same start times.
	h.ok("up", "-d")
	again := h.want("db-1 running", "web-1 running", "worker-1 running")
	for name, c := range cs {
		if again[name].ID != c.ID || again[name].State.StartedAt != c.State.StartedAt {
			t.Errorf("%s was touched by a no-op up", name)
		}
	}

	// A changed environment recreates only web, under the same name.
	h.env = []string{"GREETING=bonjour"}
	r := h.ok("up", "-d")
	after := h.want("db-1 running", "web-1 running", "worker-1 running")
	if after[p+"-web-1"].ID == cs[p+"-web-1"].ID {
		t.Errorf("web-1 was not recreated; stderr:\n%s", r.stderr)
	}
	if after[p+"-db-1"].ID != cs[p+"-db-1"].ID || after[p+"-worker-1"].ID != cs[p+"-worker-1"].ID {
		t.Error("a service whose config did not change was recreated")
	}
	if got := after[p+"-web-1"].Labels["com.docker.compose.replace"]; got != "web-1" {
		t.Errorf("replace label = %q", got)
	}
	web1 := after[p+"-web-1"].ID

	h.ok("scale", "web=3")
	h.want("db-1 running", "web-1 running", "web-2 running", "web-3 running", "worker-1 running")
	h.ok("scale", "web=1")
	final := h.want("db-1 running", "web-1 running", "worker-1 running")
	if final[p+"-web-1"].ID != web1 {
		t.Error("scale down removed web-1 instead of the highest numbers")
	}

	// down keeps the named volume and its data.
	h.ok("down")
	h.want()
	if n := h.networks(); len(n) != 0 {
		t.Errorf("networks after down: %v", n)
	}
	if v := h.volumes(); strings.Join(v, ",") != p+"_data" {
		t.Fatalf("volumes after down = %v, want the named volume kept", v)
	}
	h.ok("up", "-d")
	if out := docker(t, "exec", p+"-db-1", "cat", "/data/proof"); strings.TrimSpace(out) != "kept" {
		t.Errorf("volume data after down and up = %q", out)
	}

	r = h.ok("down", "-v")
	h.want()
	if v := h.volumes(); len(v) != 0 {
		t.Errorf("volumes after down -v: %v", v)
	}
	if !strings.Contains(r.stderr, p+"_data") {
		t.Errorf("down -v does not name the volume it removes:\n%s", r.stderr)
	}
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// assertComposeLabels checks the Docker Compose label contract on c.
func assertComposeLabels(t *testing.T, h *harness, c engineContainer, service, number string) {
	t.Helper()
	l := c.Labels
	checks := map[string]string{
		"com.docker.compose.project":              h.project,
		"com.docker.compose.service":              service,
		"com.docker.compose.container-number":     number,
		"com.docker.compose.oneoff":               "False",
		"com.docker.compose.project.working_dir":  h.dir,
		"com.docker.compose.project.config_files": filepath.Join(h.dir, "compose.yaml"),
		"com.docker.compose.image":                c.Image,
	}
	for k, want := range checks {
		if l[k] != want {
			t.Errorf("label %s = %q, want %q", k, l[k], want)
		}
	}
	if !hex64.MatchString(l["com.docker.compose.config-hash"]) {
		t.Errorf("config-hash label %q is not 64 hex", l["com.docker.compose.config-hash"])
	}
	if l["com.docker.compose.version"] == "" {
		t.Error("version label missing")
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDownWithoutComposeFile removes a project by name alone.
func TestDownWithoutComposeFile(t *testing.T) {
	h := newHarness(t, "core")
	h.ok("up", "-d")
	h.want("db-1 running", "web-1 running", "worker-1 running")
	empty := t.TempDir()
	r := h.runIn(empty, "-p", h.project, "down")
	if r.code != 0 {
		t.Fatalf("down without file: exit %d\n%s", r.code, r.stderr)
	}
	h.want()
	if n := h.networks(); len(n) != 0 {
		t.Errorf("networks left: %v", n)
	}
	if v := h.volumes(); len(v) != 1 {
		t.Errorf("volumes = %v, want the named volume kept", v)
	}
	// down of nothing succeeds.
	if r := h.runIn(empty, "-p", h.project, "down"); r.code != 0 {
		t.Errorf("second down: exit %d\n%s", r.code, r.stderr)
	}
}

// TestOrphans warns about containers of services no longer in the file and
// removes them with --remove-orphans.
func TestOrphans(t *testing.T) {
	h := newHarness(t, "orphans")
	h.ok("up", "-d")
	h.want("app-1 running", "old-1 running")
	r := h.ok("-f", "compose.new.yaml", "up", "-d")
	if !strings.Contains(r.stderr, h.project+"-old-1") || !strings.Contains(r.stderr, "--remove-orphans") {
		t.Errorf("no orphan warning naming the container and the flag:\n%s", r.stderr)
	}
	h.want("app-1 running", "old-1 running")
	// run names them too, as Docker Compose's does.
	r = h.ok("-f", "compose.new.yaml", "run", "--rm", "app", "true")
	if !strings.Contains(r.stderr, h.project+"-old-1") || !strings.Contains(r.stderr, "--remove-orphans") {
		t.Errorf("run gave no orphan warning:\n%s", r.stderr)
	}
	h.ok("-f", "compose.new.yaml", "up", "-d", "--remove-orphans")
	h.want("app-1 running")
}

// TestDryRunChangesNothing prints the plan of up, scale and down without
// touching the engine.
func TestDryRunChangesNothing(t *testing.T) {
	h := newHarness(t, "core")
	r := h.ok("--dry-run", "up", "-d")
	if !strings.Contains(r.stdout, "create container "+h.project+"-web-1") {
		t.Errorf("dry-run plan:\n%s", r.stdout)
	}
	h.want()
	if n := h.networks(); len(n) != 0 {
		t.Errorf("dry-run created networks: %v", n)
	}
	h.ok("up", "-d")
	before := h.want("db-1 running", "web-1 running", "worker-1 running")
	r = h.ok("--dry-run", "scale", "web=3")
	if !strings.Contains(r.stdout, "create container "+h.project+"-web-3") {
		t.Errorf("dry-run scale plan:\n%s", r.stdout)
	}
	h.env = []string{"GREETING=salut"}
	r = h.ok("--dry-run", "up", "-d")
	if want := "recreate container " + h.project + "-web-1 (environment.GREETING changed)"; strings.TrimSpace(r.stdout) != want {
		t.Errorf("dry-run after an env change:\n%s\nwant:\n%s", r.stdout, want)
	}
	h.env = nil
	h.ok("--dry-run", "down", "-v")
	after := h.want("db-1 running", "web-1 running", "worker-1 running")
	for n, c := range before {
		if after[n].ID != c.ID {
			t.Errorf("dry-run changed %s", n)
		}
	}
}

// TestPsAndConfig checks ps and config outputs against engine state.
func TestPsAndConfig(t *testing.T) {
	h := newHarness(t, "core")
	h.ok("up", "-d")
	cs := h.want("db-1 running", "web-1 running", "worker-1 running")

	r := h.ok("ps", "--format", "json")
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var e struct{ Name, Service, State, ID string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("ps json line %q: %v", line, err)
		}
		if cs[e.Name].ID != e.ID || e.State != "running" {
			t.Errorf("ps entry %+v does not match the engine", e)
		}
		names = append(names, e.Name)
	}
	if len(names) != 3 {
		t.Errorf("ps listed %v", names)
	}
	if r := h.ok("ps", "-q", "web"); strings.TrimSpace(r.stdout) != cs[h.project+"-web-1"].ID {
		t.Errorf("ps -q web = %q", r.stdout)
	}
	if r := h.ok("ps", "--format", "{{.Service}}-{{.Number}} {{.State}}"); r.stdout != "db-1 running\nweb-1 running\nworker-1 running\n" {
		t.Errorf("ps --format template = %q", r.stdout)
	}
	if r := h.ok("ps", "--services"); r.stdout != "db\nweb\nworker\n" {
		t.Errorf("ps --services = %q", r.stdout)
	}
	docker(t, "stop", "-t", "1", h.project+"-worker-1")
	if r := h.ok("ps", "--format", "json"); strings.Contains(r.stdout, "worker-1") {
		t.Error("ps shows a stopped container without -a")
	}
	if r := h.ok("ps", "-a", "--status", "exited", "-q"); strings.TrimSpace(r.stdout) != cs[h.project+"-worker-1"].ID {
		t.Errorf("ps --status exited = %q", r.stdout)
	}
	// up starts the stopped replica again without recreating it.
	h.ok("up", "-d")
	if got := h.want("db-1 running", "web-1 running", "worker-1 running"); got[h.project+"-worker-1"].ID != cs[h.project+"-worker-1"].ID {
		t.Error("up recreated a stopped replica instead of starting it")
	}

	if r := h.ok("config", "--services"); r.stdout != "db\nweb\nworker\n" {
		t.Errorf("config --services = %q", r.stdout)
	}
	if r := h.ok("config", "--volumes"); r.stdout != "data\n" {
		t.Errorf("config --volumes = %q", r.stdout)
	}
	r = h.ok("config", "--hash", "web")
	if want := "web " + cs[h.project+"-web-1"].Labels["com.docker.compose.config-hash"] + "\n"; r.stdout != want {
		t.Errorf("config --hash web = %q, want %q", r.stdout, want)
	}
	r = h.ok("config", "--format", "json")
	var model struct {
		Name     string
		Services map[string]struct{ Image string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &model); err != nil {
		t.Fatalf("config --format json: %v\n%s", err, r.stdout)
	}
	if model.Name != h.project || model.Services["web"].Image != testImage {
		t.Errorf("config json = %+v", model)
	}
	if r := h.ok("config"); !strings.Contains(r.stdout, "GREETING: hello") {
		t.Errorf("config yaml lacks the interpolated environment:\n%s", r.stdout)
	}
}

// TestBadInput checks that bad command lines and files fail clearly and leave
// the engine untouched.
func TestBadInput(t *testing.T) {
	h := newHarness(t, "core")
	h.fails(`invalid scale argument "web=x"`, "scale", "web=x")
	h.fails(`no such service: "nope"`, "scale", "nope=2")
	h.fails(`no such service: "nope"`, "up", "-d", "nope")
	h.fails("incompatible", "up", "-d", "--force-recreate", "--no-recreate")
	h.want()

	// A missing image is pulled: from a registry on loopback that does not
	// answer, so that no test sends traffic off this machine.
	if err := os.WriteFile(filepath.Join(h.dir, "compose.yaml"), []byte("services:\n  web:\n    image: 127.0.0.1:9/mycompose-test/busybox:1.99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.fails(`127.0.0.1:9/mycompose-test/busybox:1.99`, "up", "-d")
	h.want()
	if n := h.networks(); len(n) != 0 {
		t.Errorf("a failed up created networks: %v", n)
	}

	if err := os.WriteFile(filepath.Join(h.dir, "compose.yaml"), []byte("services:\n  web:\n    image: [oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.fails("compose.yaml", "up", "-d")
	if err := os.WriteFile(filepath.Join(h.dir, "compose.yaml"), []byte("services:\n  web:\n    image: x\n    depends_on: [db]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.fails(`"db"`, "up", "-d")
	h.want()
}
