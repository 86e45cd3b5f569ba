package main

// End-to-end tests of watch: every develop.watch action, and the cases
// where file watchers usually fail (atomic saves, new and deleted
// directories, bursts, replicas that appear while watching). They wait on
// observable conditions (watch's JSON events, files read back with docker
// exec) with deadlines, never on sleeps.

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// watchEvent is one --progress json line.
type watchEvent struct {
	Time   string `json:"time"`
	Object string `json:"object"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// watchProc is a running mycompose (watch or up --watch) whose JSON
// events are collected as they arrive.
type watchProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	events []watchEvent
	other  []string // stderr lines that are not JSON
	stdout bytes.Buffer
	done   chan error
}

// startWatch runs mycompose --progress json ARGS in the background; the
// process is interrupted at cleanup if still running.
func (h *harness) startWatch(args ...string) *watchProc {
	h.t.Helper()
	cmd := exec.Command(binary, append([]string{"-p", h.project, "--progress", "json"}, args...)...)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), h.env...)
	w := &watchProc{t: h.t, cmd: cmd, done: make(chan error, 1)}
	cmd.Stdout = &lockedWriter{mu: &w.mu, w: &w.stdout}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var e watchEvent
			w.mu.Lock()
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Object != "" {
				w.events = append(w.events, e)
			} else {
				w.other = append(w.other, sc.Text())
			}
			w.mu.Unlock()
		}
		w.done <- cmd.Wait()
	}()
	h.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-w.done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
			}
		}
	})
	return w
}

// mark returns the number of events so far, to wait for later ones.
func (w *watchProc) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// since returns the watch events after mark.
func (w *watchProc) since(mark int) []watchEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []watchEvent
	for _, e := range w.events[mark:] {
		if e.Object == "Watch" {
			out = append(out, e)
		}
	}
	return out
}

// wait waits for a watch event with the status after mark and returns it.
func (w *watchProc) wait(mark int, status string, timeout time.Duration) watchEvent {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, e := range w.since(mark) {
			if e.Status == status {
				return e
			}
		}
		select {
		case err := <-w.done:
			w.done <- err
			w.t.Fatalf("mycompose ended (%v) before a %q watch event:\n%s", err, status, w.dump())
		default:
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no %q watch event within %v:\n%s", status, timeout, w.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *watchProc) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, e := range w.events {
		fmt.Fprintf(&b, "%s %s %s %s\n", e.Object, e.Name, e.Status, e.Detail)
	}
	b.WriteString(strings.Join(w.other, "\n"))
	return b.String()
}

// interrupt sends Ctrl-C and returns the exit code.
func (w *watchProc) interrupt() int {
	w.t.Helper()
	w.cmd.Process.Signal(os.Interrupt)
	select {
	case <-w.done:
	case <-time.After(60 * time.Second):
		w.t.Fatalf("mycompose did not end within 60s of Ctrl-C:\n%s", w.dump())
	}
	return w.cmd.ProcessState.ExitCode()
}

// catIn reads a file in a container ("" when it cannot be read).
func catIn(container, path string) string {
	out, err := exec.Command("docker", "exec", container, "cat", path).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// waitFile waits until path in container holds content.
func waitFile(t *testing.T, container, path, content string) {
	t.Helper()
	eventually(t, 20*time.Second, fmt.Sprintf("%s:%s to hold %q (has %q)", container, path, content, catIn(container, path)), func() bool {
		return catIn(container, path) == content
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// atomicSave writes content the way editors save: a temporary file next to
// path, renamed over it.
func atomicSave(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-save")
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// hostTree lists the regular files below dir as "path md5", sorted,
// leaving out files whose name matches skip.
func hostTree(t *testing.T, dir string, skip func(string) bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || skip(p) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := md5.Sum(data)
		rel, _ := filepath.Rel(dir, p)
		out = append(out, "./"+filepath.ToSlash(rel)+" "+hex.EncodeToString(sum[:]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// containerTree lists the regular files below dir in a container the
// same way.
func containerTree(container, dir string) []string {
	out, err := exec.Command("docker", "exec", container, "sh", "-c", "cd "+dir+" && find . -type f -exec md5sum {} +").Output()
	if err != nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			lines = append(lines, f[1]+" "+f[0])
		}
	}
	sort.Strings(lines)
	return lines
}

// waitTree waits until the container's tree equals the host's.
func waitTree(t *testing.T, container, hostDir, dir string, skip func(string) bool) {
	t.Helper()
	want := hostTree(t, hostDir, skip)
	var got []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		got = containerTree(container, dir)
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s:%s differs from the host (%d files vs %d): first differences: %s", container, dir, len(got), len(want), firstDiff(got, want))
}

func firstDiff(got, want []string) string {
	g := map[string]bool{}
	for _, l := range got {
		g[l] = true
	}
	w := map[string]bool{}
	var diffs []string
	for _, l := range want {
		w[l] = true
		if !g[l] && len(diffs) < 5 {
			diffs = append(diffs, "missing "+l)
		}
	}
	for _, l := range got {
		if !w[l] && len(diffs) < 10 {
			diffs = append(diffs, "extra "+l)
		}
	}
	return strings.Join(diffs, "; ")
}

func noLogs(p string) bool { return strings.HasSuffix(p, ".log") }

// TestWatchSyncReliability runs `watch` and checks initial_sync and what
// file watchers usually get wrong: atomic saves, new and deleted
// directories, modes, a burst of 1,000 files, ignored files, and replicas
// scaled or restarted while watching.
func TestWatchSyncReliability(t *testing.T) {
	h := newHarness(t, "watch")
	app := filepath.Join(h.dir, "app")
	w := h.startWatch("watch")
	w.wait(0, "Watching", 60*time.Second)
	web1, web2 := h.project+"-web-1", h.project+"-web-2"

	t.Run("initial sync", func(t *testing.T) {
		// The image has no /app: initial_sync: true copied the whole path.
		waitTree(t, web1, app, "/app", noLogs)
		waitTree(t, web2, app, "/app", noLogs)
	})
	t.Run("atomic save", func(t *testing.T) {
		atomicSave(t, filepath.Join(app, "index.html"), "v2\n")
		waitFile(t, web1, "/app/index.html", "v2\n")
		waitFile(t, web2, "/app/index.html", "v2\n")
		if catIn(web1, "/app/.index.html.tmp-save") != "" {
			t.Error("the editor's temporary file reached the container")
		}
	})
	t.Run("new directory", func(t *testing.T) {
		writeFile(t, filepath.Join(app, "new", "deep", "a.txt"), "a\n")
		writeFile(t, filepath.Join(app, "new", "deep", "b.txt"), "b\n")
		writeFile(t, filepath.Join(app, "new", "c.txt"), "c\n")
		waitFile(t, web1, "/app/new/deep/b.txt", "b\n")
		waitTree(t, web2, app, "/app", noLogs)
	})
	t.Run("deleted directory", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(app, "old")); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "/app/old to be deleted", func() bool {
			return exec.Command("docker", "exec", web1, "test", "-e", "/app/old").Run() != nil
		})
		waitTree(t, web1, app, "/app", noLogs)
	})
	t.Run("modes kept and ignored files left out", func(t *testing.T) {
		writeFile(t, filepath.Join(app, "debug.log"), "noise\n")
		writeFile(t, filepath.Join(app, "run.sh"), "#!/bin/sh\necho ran\n")
		if err := os.Chmod(filepath.Join(app, "run.sh"), 0o750); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "run.sh to be synced with mode 750", func() bool {
			out, _ := exec.Command("docker", "exec", web1, "stat", "-c", "%a", "/app/run.sh").Output()
			return strings.TrimSpace(string(out)) == "750"
		})
		if out, _ := exec.Command("docker", "exec", web1, "/app/run.sh").Output(); string(out) != "ran\n" {
			t.Errorf("/app/run.sh ran with output %q", out)
		}
		if catIn(web1, "/app/debug.log") != "" {
			t.Error("an ignored file (**/*.log) reached the container")
		}
	})
	t.Run("burst of 1000 files", func(t *testing.T) {
		burst := filepath.Join(app, "burst")
		mark := w.mark()
		if err := os.Mkdir(burst, 0o755); err != nil {
			t.Fatal(err)
		}
		w.wait(mark, "Synced", 20*time.Second) // the empty directory's batch
		mark = w.mark()
		start := time.Now()
		for i := range 1000 {
			if err := os.WriteFile(filepath.Join(burst, fmt.Sprintf("f%04d.txt", i)), []byte(fmt.Sprintf("file %d\n", i)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		wrote := time.Since(start)
		waitTree(t, web1, app, "/app", noLogs)
		waitTree(t, web2, app, "/app", noLogs)
		batches, files := 0, 0
		for _, e := range w.since(mark) {
			if e.Status == "Synced" {
				batches++
				var n int
				fmt.Sscanf(e.Detail, "%d files", &n)
				files += n
			}
		}
		t.Logf("1000 files written in %v, synced in %d batches", wrote, batches)
		// A file still being written when a batch closes is sent again
		// in the next one, so a little more than 1000 is right.
		if files < 1000 {
			t.Errorf("the batches carried %d files, want 1000 at least", files)
		}
		// A burst's batch closes 100ms after its last event or 1s after
		// its first: one batch per second it lasts (plus one when the
		// writer was descheduled for longer), never one per file.
		if limit := 2 + int(wrote/time.Second); batches > limit {
			t.Errorf("a burst written in %v took %d batches, want at most %d", wrote, batches, limit)
		}
	})
	t.Run("replicas scaled and restarted while watching", func(t *testing.T) {
		h.ok("scale", "web=3")
		web3 := h.project + "-web-3"
		waitTree(t, web3, app, "/app", noLogs)
		docker(t, "restart", "-t", "1", web1)
		atomicSave(t, filepath.Join(app, "index.html"), "v3\n")
		for _, c := range []string{web1, web2, web3} {
			waitFile(t, c, "/app/index.html", "v3\n")
		}
	})
	if code := w.interrupt(); code != 130 {
		t.Errorf("watch exited %d after Ctrl-C, want 130", code)
	}
	// Ending the watch leaves the services running.
	for name, c := range h.containers() {
		if c.State.Status != "running" {
			t.Errorf("%s is %s after the watch ended, want running", name, c.State.Status)
		}
	}
}

// idStarted returns a container's ID and start time.
func idStarted(t *testing.T, container string) (string, string) {
	t.Helper()
	f := strings.Fields(docker(t, "inspect", "--format", "{{.Id}} {{.State.StartedAt}}", container))
	return f[0], f[1]
}

// TestWatchActions runs `up --watch` and exercises every action: sync,
// sync+restart, sync+exec (with its exec options), restart, and rebuild,
// a failing one included; include and the build context's .dockerignore
// filter the changes; then Ctrl-C stops the logs, the watch and the
// containers.
func TestWatchActions(t *testing.T) {
	h := newHarness(t, "watch-actions")
	t.Cleanup(func() {
		exec.Command("docker", "rmi", "-f", h.project+"-web").Run()
		// The classic builder keeps the last good layer of a failed build.
		for _, id := range dockerLines(t, "images", "-q", "--filter", "dangling=true", "--filter", "label=io.mycompose.e2e=watch-actions") {
			exec.Command("docker", "rmi", id).Run()
		}
	})
	w := h.startWatch("up", "--watch")
	w.wait(0, "Watching", 120*time.Second)
	web1, web2 := h.project+"-web-1", h.project+"-web-2"

	t.Run("sync", func(t *testing.T) {
		atomicSave(t, filepath.Join(h.dir, "app", "index.html"), "v2\n")
		waitFile(t, web1, "/app/index.html", "v2\n")
		waitFile(t, web2, "/app/index.html", "v2\n")
	})
	t.Run("sync+restart", func(t *testing.T) {
		id1, started1 := idStarted(t, web1)
		id2, started2 := idStarted(t, web2)
		mark := w.mark()
		atomicSave(t, filepath.Join(h.dir, "conf", "app.conf"), "c2\n")
		w.wait(mark, "Restarted", 60*time.Second)
		for _, c := range []struct{ name, id, started string }{{web1, id1, started1}, {web2, id2, started2}} {
			id, started := idStarted(t, c.name)
			if id != c.id || started == c.started {
				t.Errorf("%s: id %s started %s, want the same container (%s) started again (was %s)", c.name, id, started, c.id, c.started)
			}
			if got := catIn(c.name, "/etc/app/app.conf"); got != "c2\n" {
				t.Errorf("%s:/etc/app/app.conf = %q after sync+restart, want c2", c.name, got)
			}
		}
	})
	t.Run("sync+exec", func(t *testing.T) {
		atomicSave(t, filepath.Join(h.dir, "hooks", "h.txt"), "h2\n")
		defer func() {
			if t.Failed() {
				t.Log(w.dump())
			}
		}()
		waitFile(t, web1, "/tmp/exec-ran", "hello h2\n")
		waitFile(t, web2, "/tmp/exec-ran", "hello h2\n")
	})
	t.Run("restart", func(t *testing.T) {
		id1, started1 := idStarted(t, web1)
		mark := w.mark()
		atomicSave(t, filepath.Join(h.dir, "restart", "r.txt"), "r2\n")
		w.wait(mark, "Restarted", 60*time.Second)
		if id, started := idStarted(t, web1); id != id1 || started == started1 {
			t.Errorf("restart: %s id %s started %s, want %s started again (was %s)", web1, id, started, id1, started1)
		}
		if got := catIn(web1, "/restart/r.txt"); got != "" {
			t.Errorf("action restart synced a file: %q", got)
		}
	})
	t.Run("include and .dockerignore", func(t *testing.T) {
		// The left-out files are written first: once the later ones are
		// in the containers, they would be too.
		writeFile(t, filepath.Join(h.dir, "app", "key.secret"), "s\n")
		writeFile(t, filepath.Join(h.dir, "inc", "b.bin"), "b\n")
		writeFile(t, filepath.Join(h.dir, "app", "ok.html"), "ok\n")
		writeFile(t, filepath.Join(h.dir, "inc", "a.txt"), "a2\n")
		for _, c := range []string{web1, web2} {
			waitFile(t, c, "/app/ok.html", "ok\n")
			waitFile(t, c, "/inc/a.txt", "a2\n")
			if catIn(c, "/app/key.secret") != "" {
				t.Errorf("%s: a file the build context's .dockerignore leaves out was synced", c)
			}
			if catIn(c, "/inc/b.bin") != "" {
				t.Errorf("%s: a file outside the rule's include was synced", c)
			}
		}
	})
	t.Run("failed rebuild keeps watching", func(t *testing.T) {
		id1, _ := idStarted(t, web1)
		mark := w.mark()
		writeFile(t, filepath.Join(h.dir, "build", "FAIL"), "x\n")
		e := w.wait(mark, "Error", 120*time.Second)
		t.Logf("failed rebuild: %s", e.Detail)
		if !strings.Contains(e.Detail, "rebuild failed") || !strings.Contains(e.Detail, "still watching") {
			t.Errorf("failed rebuild event says %q, want why and that watch goes on", e.Detail)
		}
		if id, _ := idStarted(t, web1); id != id1 {
			t.Errorf("a failed rebuild replaced %s", web1)
		}
		atomicSave(t, filepath.Join(h.dir, "app", "index.html"), "v3\n")
		waitFile(t, web1, "/app/index.html", "v3\n")
	})
	t.Run("rebuild", func(t *testing.T) {
		id1, _ := idStarted(t, web1)
		if err := os.Remove(filepath.Join(h.dir, "build", "FAIL")); err != nil {
			t.Fatal(err)
		}
		atomicSave(t, filepath.Join(h.dir, "build", "version"), "b2\n")
		eventually(t, 120*time.Second, "the rebuilt image in web-1", func() bool { return catIn(web1, "/build/version") == "b2\n" })
		if id, _ := idStarted(t, web1); id == id1 {
			t.Errorf("rebuild kept container %s", web1)
		}
		// The recreated containers get what was synced since the start,
		// through the same filters.
		waitFile(t, web1, "/app/index.html", "v3\n")
		waitFile(t, web2, "/etc/app/app.conf", "c2\n")
		waitFile(t, web2, "/inc/a.txt", "a2\n")
		if catIn(web2, "/inc/b.bin") != "" || catIn(web2, "/app/key.secret") != "" {
			t.Error("the catch-up sync of a recreated container ignored include or .dockerignore")
		}
		// And the watch goes on.
		atomicSave(t, filepath.Join(h.dir, "app", "index.html"), "v4\n")
		waitFile(t, web2, "/app/index.html", "v4\n")
	})
	if code := w.interrupt(); code != 130 {
		t.Errorf("up --watch exited %d after Ctrl-C, want 130", code)
	}
	for name, c := range h.containers() {
		if c.State.Status != "exited" {
			t.Errorf("%s is %s after Ctrl-C, want exited", name, c.State.Status)
		}
	}
	w.mu.Lock()
	logs := w.stdout.String()
	w.mu.Unlock()
	if !strings.Contains(logs, "web-1  | started") && !strings.Contains(logs, "web-1 | started") {
		t.Errorf("up --watch did not show the services' logs:\n%s", logs)
	}
}
