package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStopStartRestartOrder: stop goes dependents first, start and restart
// dependencies first; restart takes along the services that declare
// `restart: true` on the restarted one, and only those.
func TestStopStartRestartOrder(t *testing.T) {
	h := newHarness(t, "lifecycle")
	p := h.project
	h.ok("up", "-d")

	h.ok("stop", "-t", "1")
	h.want("db-1 exited", "web-1 exited", "worker-1 exited")
	_, dbStop := times(t, p+"-db-1")
	_, webStop := times(t, p+"-web-1")
	_, workerStop := times(t, p+"-worker-1")
	if !workerStop.Before(webStop) || !webStop.Before(dbStop) {
		t.Errorf("stop order: worker %v, web %v, db %v; want worker, web, db", workerStop, webStop, dbStop)
	}

	h.ok("start")
	h.want("db-1 running", "web-1 running", "worker-1 running")
	db, _ := times(t, p+"-db-1")
	web, _ := times(t, p+"-web-1")
	worker, _ := times(t, p+"-worker-1")
	if !db.Before(web) || !web.Before(worker) {
		t.Errorf("start order: db %v, web %v, worker %v; want db, web, worker", db, web, worker)
	}

	h.ok("restart", "-t", "1", "db")
	db2, _ := times(t, p+"-db-1")
	web2, _ := times(t, p+"-web-1")
	worker2, _ := times(t, p+"-worker-1")
	if !db2.After(worker) || !web2.After(db2) {
		t.Errorf("restart db: db %v then web %v; want db restarted, then web (restart: true)", db2, web2)
	}
	if !worker2.Equal(worker) {
		t.Errorf("restart db restarted worker, whose depends_on has no restart: true")
	}

	h.ok("restart", "-t", "1", "--no-deps", "db")
	if web3, _ := times(t, p+"-web-1"); !web3.Equal(web2) {
		t.Errorf("restart --no-deps db restarted web")
	}

	// start of one service starts what it depends on.
	h.ok("stop", "-t", "1")
	h.ok("start", "web")
	h.want("db-1 running", "web-1 running", "worker-1 exited")
	h.fails("no such service", "start", "nope")
}

// TestKillRmPause: kill -s, pause/unpause, rm of stopped containers only,
// rm -s, and rm's refusal to act without -f when nobody can confirm.
func TestKillRmPause(t *testing.T) {
	h := newHarness(t, "lifecycle")
	p := h.project
	h.ok("up", "-d")

	h.ok("pause", "web")
	h.want("db-1 running", "web-1 paused", "worker-1 running")
	h.ok("unpause")
	h.want("db-1 running", "web-1 running", "worker-1 running")

	h.ok("kill", "-s", "SIGTERM", "web") // web traps TERM and exits 0
	h.ok("kill", "worker")               // SIGKILL
	cs := h.want("db-1 running", "web-1 exited", "worker-1 exited")
	code := func(name string) string {
		return strings.TrimSpace(docker(t, "inspect", "--format", "{{.State.ExitCode}}", cs[p+"-"+name].ID))
	}
	if code("web-1") != "0" || code("worker-1") != "137" {
		t.Errorf("exit codes: web %s (want 0, SIGTERM), worker %s (want 137, SIGKILL)", code("web-1"), code("worker-1"))
	}

	h.fails("run again with -f", "rm")
	h.want("db-1 running", "web-1 exited", "worker-1 exited")
	r := h.ok("rm", "-f")
	if !strings.Contains(r.stdout, "Going to remove") {
		t.Errorf("rm -f stdout: %q", r.stdout)
	}
	h.want("db-1 running")
	h.ok("rm", "-f", "-s", "-v", "db")
	h.want()
	if r := h.ok("rm", "-f"); !strings.Contains(r.stderr, "No stopped containers") {
		t.Errorf("rm with nothing to remove: %q", r.stderr)
	}
}

// TestCreateLsPortTopImages covers the read-mostly commands on a running
// project.
func TestCreateLsPortTopImages(t *testing.T) {
	h := newHarness(t, "lifecycle")
	p := h.project

	h.ok("create")
	h.want("db-1 created", "web-1 created", "worker-1 created")
	h.ok("start")
	h.want("db-1 running", "web-1 running", "worker-1 running")

	lsEntry := func(args ...string) map[string]string {
		var stacks []map[string]string
		if err := json.Unmarshal([]byte(h.ok(append([]string{"ls", "--format", "json"}, args...)...).stdout), &stacks); err != nil {
			t.Fatalf("ls --format json: %v", err)
		}
		for _, s := range stacks {
			if s["Name"] == p {
				return s
			}
		}
		return nil
	}
	e := lsEntry()
	if e == nil || e["Status"] != "running(3)" || e["ConfigFiles"] != filepath.Join(h.dir, "compose.yaml") {
		t.Errorf("ls entry: %v", e)
	}
	h.ok("stop", "-t", "1", "worker")
	if e := lsEntry("-a", "--filter", "name="+p); e == nil || e["Status"] != "exited(1), running(2)" {
		t.Errorf("ls -a entry: %v", e)
	}
	if e := lsEntry(); e == nil || e["Status"] != "running(2)" {
		t.Errorf("ls entry without -a: %v", e)
	}
	if q := h.ok("ls", "-q", "--filter", "name="+p).stdout; q != p+"\n" {
		t.Errorf("ls -q: %q", q)
	}
	if table := h.ok("ls").stdout; !strings.HasPrefix(table, "NAME") || !strings.Contains(table, p) {
		t.Errorf("ls table:\n%s", table)
	}

	got := strings.TrimSpace(h.ok("port", "web", "8080").stdout)
	var want string
	for _, l := range strings.Split(strings.TrimSpace(docker(t, "port", p+"-web-1", "8080/tcp")), "\n") {
		if !strings.HasPrefix(l, "[") && !strings.HasPrefix(l, ":::") {
			want = l
		}
	}
	if got == "" || got != want {
		t.Errorf("port web 8080 = %q; docker port says %q", got, want)
	}
	h.fails("no port 9999/tcp", "port", "web", "9999")

	top := h.ok("top", "web").stdout
	if !strings.HasPrefix(top, "web-1\n") || !strings.Contains(top, "PID") || !strings.Contains(top, "httpd -f -p 8080") {
		t.Errorf("top web:\n%s", top)
	}

	images := h.ok("images").stdout
	if !strings.Contains(images, p+"-web-1") || !strings.Contains(images, "mycompose-test/busybox") {
		t.Errorf("images:\n%s", images)
	}
}

// TestExecAndCp: exec returns the command's exit code and applies -e, -w
// and -u; cp copies both ways, to every replica or one.
func TestExecAndCp(t *testing.T) {
	h := newHarness(t, "lifecycle")
	p := h.project
	h.ok("up", "-d", "--scale", "web=2")

	h.code(4, "exec", "-T", "web", "sh", "-c", "exit 4")
	r := h.ok("exec", "-T", "-e", "FOO=bar", "-w", "/tmp", "-u", "1000", "--index", "2", "web",
		"sh", "-c", "echo $FOO $(pwd) $(id -u) $GREETING $HOSTNAME")
	web2 := h.containers()[p+"-web-2"]
	if got := strings.TrimSpace(r.stdout); got != "bar /tmp 1000 hello "+web2.ID[:12] {
		t.Errorf("exec options: %q", got)
	}
	h.ok("exec", "-d", "web", "touch", "/tmp/detached")
	eventually(t, 10*time.Second, "the detached exec", func() bool {
		return h.run("exec", "-T", "web", "test", "-e", "/tmp/detached").code == 0
	})
	h.ok("stop", "-t", "1", "worker")
	h.fails("is exited, not running", "exec", "worker", "true")

	local := filepath.Join(h.dir, "note.txt")
	if err := os.WriteFile(local, []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.ok("cp", "note.txt", "web:/tmp/")
	for _, n := range []string{"web-1", "web-2"} {
		if out := docker(t, "exec", p+"-"+n, "cat", "/tmp/note.txt"); out != "from the host\n" {
			t.Errorf("%s:/tmp/note.txt = %q", n, out)
		}
	}
	docker(t, "exec", p+"-web-2", "sh", "-c", "mkdir -p /data/sub && echo two > /data/sub/f")
	h.ok("cp", "--index", "2", "web:/data", "out")
	if data, err := os.ReadFile(filepath.Join(h.dir, "out", "sub", "f")); err != nil || string(data) != "two\n" {
		t.Errorf("copied directory: %q, %v", data, err)
	}
	h.ok("cp", "web:/tmp/note.txt", "back.txt")
	if data, err := os.ReadFile(filepath.Join(h.dir, "back.txt")); err != nil || string(data) != "from the host\n" {
		t.Errorf("copied file: %q, %v", data, err)
	}
}

// TestWaitAndEvents: wait returns the exit code of the container it waited
// for; events --json reports a container start.
func TestWaitAndEvents(t *testing.T) {
	h := newHarness(t, "lifecycle")
	h.ok("up", "-d")

	events := h.spawn("events", "--json", "worker")
	wait := h.spawn("wait", "worker")
	h.ok("kill", "worker")
	// wait reports the code whether it began before or after the kill.
	if code := wait.exit(30 * time.Second); code != 137 {
		t.Errorf("wait exit code %d, want 137", code)
	}
	isStart := func(l string) bool {
		var ev struct{ Action, Service, ID string }
		return json.Unmarshal([]byte(l), &ev) == nil && ev.Action == "start" && ev.Service == "worker"
	}
	// events may subscribe after a given start: start worker until one shows.
	line, ok := "", false
	for i := 0; i < 10 && !ok; i++ {
		h.ok("restart", "-t", "0", "worker")
		line, ok = events.tryLine(3*time.Second, isStart)
	}
	if !ok {
		out, errs := events.output()
		t.Fatalf("no start event of worker\nstdout:\n%s\nstderr:\n%s", out, errs)
	}
	var ev map[string]any
	json.Unmarshal([]byte(line), &ev)
	if ev["type"] != "container" || ev["id"] != h.containers()[h.project+"-worker-1"].ID {
		t.Errorf("event: %s", line)
	}
	events.signal(os.Interrupt)
	events.exit(10 * time.Second)
}
