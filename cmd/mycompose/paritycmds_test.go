package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestVolumesCommand: `volumes` lists the project's volumes, or those of
// the named services, in table, quiet, JSON and template form.
func TestVolumesCommand(t *testing.T) {
	h := newHarness(t, "paritycmds")
	h.ok("up", "-d")
	data, logs := h.project+"_data", h.project+"_logs"
	table := h.ok("volumes").stdout
	if !strings.HasPrefix(table, "DRIVER") || !strings.Contains(table, data) || !strings.Contains(table, logs) {
		t.Fatalf("volumes table:\n%s", table)
	}
	if got := strings.TrimSpace(h.ok("volumes", "-q", "app").stdout); got != data {
		t.Fatalf("volumes -q app = %q, want %q", got, data)
	}
	var v struct{ Name, Driver string }
	if err := json.Unmarshal([]byte(h.ok("volumes", "--format", "json", "other").stdout), &v); err != nil || v.Name != logs || v.Driver != "local" {
		t.Fatalf("volumes --format json other: %+v %v", v, err)
	}
	if got := h.ok("volumes", "--format", "{{.Driver}}/{{.Name}}").stdout; got != "local/"+data+"\nlocal/"+logs+"\n" {
		t.Fatalf("volumes template:\n%s", got)
	}
	h.fails(`no such service: "nope"`, "volumes", "nope")
}

// TestStatsCommand: one sample per running container (all with -a), with
// the engine's memory and process counts.
func TestStatsCommand(t *testing.T) {
	h := newHarness(t, "paritycmds")
	h.ok("up", "-d")
	h.ok("stop", "other")
	type entry struct{ ID, Name, CPUPerc, MemUsage, PIDs string }
	parse := func(out string) map[string]entry {
		got := map[string]entry{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var e entry
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("stats json line %q: %v", l, err)
			}
			got[e.Name] = e
		}
		return got
	}
	got := parse(h.ok("stats", "--no-stream", "--format", "json").stdout)
	app := got[h.project+"-app-1"]
	if len(got) != 1 || app.PIDs == "" || app.PIDs == "0" || app.PIDs == "--" || !strings.Contains(app.MemUsage, "iB / ") || len(app.ID) != 12 {
		t.Fatalf("stats --no-stream: %+v", got)
	}
	all := parse(h.ok("stats", "--no-stream", "-a", "--no-trunc", "--format", "json").stdout)
	if len(all) != 2 || all[h.project+"-other-1"].PIDs != "--" || len(all[h.project+"-app-1"].ID) != 64 {
		t.Fatalf("stats -a --no-trunc: %+v", all)
	}
	table := h.ok("stats", "--no-stream", "app").stdout
	if !strings.HasPrefix(table, "CONTAINER ID") || !strings.Contains(table, h.project+"-app-1") {
		t.Fatalf("stats table:\n%s", table)
	}
}

// TestExportAndCommit: export writes the container's filesystem as a tar;
// commit makes an image of its changes with the given instructions.
func TestExportAndCommit(t *testing.T) {
	h := newHarness(t, "paritycmds")
	h.ok("up", "-d")
	eventually(t, 10*time.Second, "the marker file", func() bool {
		r := h.run("exec", "-T", "app", "cat", "/marker")
		return r.code == 0 && strings.TrimSpace(r.stdout) == "exported"
	})
	out := filepath.Join(t.TempDir(), "app.tar")
	h.ok("export", "app", "-o", out)
	if got := tarFile(t, out, "marker"); got != "exported\n" {
		t.Fatalf("marker in the export = %q", got)
	}

	ref := "mycompose-test/committed:" + h.project
	t.Cleanup(func() { dockerLines(t, "rmi", "-f", ref) })
	id := strings.TrimSpace(h.ok("commit", "-m", "snapshot", "-c", "ENV COMMITTED=yes", "app", ref).stdout)
	var img struct {
		ID      string
		Comment string
		Config  struct{ Env []string }
	}
	if err := json.Unmarshal([]byte(docker(t, "image", "inspect", "--format", "{{json .}}", ref)), &img); err != nil {
		t.Fatal(err)
	}
	if img.ID != id || img.Comment != "snapshot" || !contains(img.Config.Env, "COMMITTED=yes") {
		t.Fatalf("committed image %+v, printed id %q", img, id)
	}
	h.fails(`service "app" has no container with index 3`, "commit", "--index", "3", "app")
}

// TestAttachCommand: attach streams the running container's output and,
// with the default --sig-proxy, forwards Ctrl-C to it.
func TestAttachCommand(t *testing.T) {
	h := newHarness(t, "paritycmds")
	h.ok("up", "-d")
	s := h.spawn("attach", "--no-stdin", "app")
	s.waitLine(15*time.Second, "a tick from the container", func(l string) bool { return l == "tick" })
	s.signal(syscall.SIGINT)
	if code := s.exit(20 * time.Second); code != 0 {
		_, errs := s.output()
		t.Fatalf("attach exit %d: %s", code, errs)
	}
	c := h.containers()[h.project+"-app-1"]
	if c.State.Status != "exited" {
		t.Fatalf("app after the proxied SIGINT: %s, want exited", c.State.Status)
	}
	h.fails("is not running", "attach", "app")
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// tarFile returns the content of name in the tar archive at path.
func tarFile(t *testing.T, path, name string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s not in %s", name, path)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(hdr.Name, "./") == name {
			b, _ := io.ReadAll(tr)
			return string(b)
		}
	}
}

// TestAttachFalse: an attached up leaves out the logs of a service with
// `attach: false`, unless --attach names it.
func TestAttachFalse(t *testing.T) {
	h := newHarness(t, "paritycmds")
	r := h.ok("-f", "attach.yaml", "up")
	if !strings.Contains(r.stdout, "from-shown") || strings.Contains(r.stdout, "from-hidden") {
		t.Fatalf("attached up with attach: false:\n%s", r.stdout)
	}
	r = h.ok("-f", "attach.yaml", "up", "--force-recreate", "--attach", "hidden")
	if !strings.Contains(r.stdout, "from-hidden") || strings.Contains(r.stdout, "from-shown") {
		t.Fatalf("attached up --attach hidden:\n%s", r.stdout)
	}
	// Both containers ran, attached or not.
	h.want("shown-1 exited", "hidden-1 exited")
}

// TestParallelFlag: --parallel bounds the engine operations in flight; a
// bad value is a usage error before anything is done.
func TestParallelFlag(t *testing.T) {
	h := newHarness(t, "paritycmds")
	h.fails("invalid --parallel -2", "--parallel=-2", "up", "-d")
	if got := h.names(); len(got) != 0 {
		t.Fatalf("a refused --parallel created %v", got)
	}
	h.ok("--parallel", "1", "up", "-d")
	h.want("app-1 running", "other-1 running")
}

// TestPsFilterNoTruncAndNoTty: ps --filter status=, ps --no-trunc, and the
// --no-tty spelling of run and exec.
func TestPsFilterNoTruncAndNoTty(t *testing.T) {
	h := newHarness(t, "paritycmds")
	h.ok("up", "-d")
	h.ok("stop", "other")
	if got := strings.TrimSpace(h.ok("ps", "--filter", "status=exited", "--services").stdout); got != "other" {
		t.Fatalf("ps --filter status=exited: %q, want other", got)
	}
	h.fails(`invalid --filter "name=x": use status=STATE`, "ps", "--filter", "name=x")
	full := h.ok("ps", "--no-trunc", "app").stdout
	if !strings.Contains(full, "while true; do echo tick") {
		t.Fatalf("ps --no-trunc cut the command:\n%s", full)
	}
	if short := h.ok("ps", "app").stdout; strings.Contains(short, "while true; do echo tick") {
		t.Fatalf("ps without --no-trunc shows the whole command:\n%s", short)
	}
	eventually(t, 10*time.Second, "exec --no-tty reading the marker", func() bool {
		r := h.run("exec", "--no-tty", "app", "cat", "/marker")
		return r.code == 0 && strings.TrimSpace(r.stdout) == "exported"
	})
	if got := strings.TrimSpace(h.ok("run", "--rm", "--no-tty", "other", "echo", "one-off").stdout); got != "one-off" {
		t.Fatalf("run --no-tty: %q", got)
	}
}

// TestDownServices: down SERVICE -v removes that service's containers and
// volumes only; the rest of the project keeps running on its network.
func TestDownServices(t *testing.T) {
	h := newHarness(t, "paritycmds")
	h.ok("up", "-d")
	h.ok("down", "-v", "app")
	h.want("other-1 running")
	if got := strings.Join(h.volumes(), ","); got != h.project+"_logs" {
		t.Fatalf("volumes after down -v app: %s, want only %s_logs", got, h.project)
	}
	if got := strings.Join(h.networks(), ","); got != h.project+"_default" {
		t.Fatalf("networks after down app: %s", got)
	}
	h.fails(`no such service: "nope"`, "down", "nope")
	h.ok("down", "-v")
	if len(h.names()) != 0 || len(h.volumes()) != 0 || len(h.networks()) != 0 {
		t.Fatalf("down -v left %v %v %v", h.names(), h.volumes(), h.networks())
	}
}

// TestRunFlags: run's --cap-add, --cap-drop, -q and --pull.
func TestRunFlags(t *testing.T) {
	h := newHarness(t, "paritycmds")
	r := h.ok("run", "-d", "-q", "--pull", "never", "--cap-add", "SYS_TIME", "--cap-drop", "CHOWN", "other")
	if r.stdout != "" {
		t.Fatalf("run -d -q printed %q", r.stdout)
	}
	offs := h.oneOffs()
	if len(offs) != 1 {
		t.Fatalf("one-offs: %+v", offs)
	}
	var caps struct{ CapAdd, CapDrop []string }
	inspectJSON(t, offs[0].Name, ".HostConfig", &caps)
	// Newer engines store capabilities with their CAP_ prefix.
	if !(contains(caps.CapAdd, "SYS_TIME") || contains(caps.CapAdd, "CAP_SYS_TIME")) ||
		!(contains(caps.CapDrop, "CHOWN") || contains(caps.CapDrop, "CAP_CHOWN")) {
		t.Fatalf("one-off caps %+v", caps)
	}
	h.fails(`invalid --pull`, "run", "--pull", "sometimes", "other", "true")
}
