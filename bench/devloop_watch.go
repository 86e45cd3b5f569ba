package main

// Watch latency: the time from a file's rename into place on the host (an
// editor's atomic save) to the new content being readable in the
// container. The container reads the file in a 5 ms loop and prints each
// new content; the engine timestamps that log line on the host's clock.
// Edits are paced by the clock, not by the previous edit being seen, so a
// slow watcher falls behind as it would under a typing user; an edit
// overtaken by a later one counts as seen when the later one is.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// poller prints the content of /app/f each time it changes.
const poller = `last=; while :; do v=; read -r v < /app/f 2>/dev/null; if [ "$v" != "$last" ]; then echo "$v"; last=$v; fi; usleep 5000; done`

// watchRow is one watch scenario of one tool.
type watchRow struct {
	tool     string
	scenario string
	lat      []time.Duration
	err      error
}

func (w watchRow) summary() string {
	if w.err != nil {
		return "FAIL: " + firstLine(w.err.Error())
	}
	return fmt.Sprintf("p50 %4d ms  p95 %5d ms  max %5d ms  n %d", pct(w.lat, 50), pct(w.lat, 95), pct(w.lat, 100), len(w.lat))
}

// pct is the p-th percentile of lat in milliseconds (nearest rank).
func pct(lat []time.Duration, p int) int64 {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i].Milliseconds()
}

// watchSizes are the scenario sizes: edits per interval, bursts and files
// per burst.
func watchSizes(quick bool) (edits int, intervals []time.Duration, bursts, files int) {
	if quick {
		return 10, []time.Duration{time.Second, 400 * time.Millisecond}, 2, 200
	}
	return 100, []time.Duration{time.Second, 400 * time.Millisecond}, 5, 1000
}

// measureWatch runs one watch session of t and measures every scenario in
// it: steady edits at each interval, then bursts.
func measureWatch(ctx context.Context, cfg config, t *tool) []watchRow {
	edits, intervals, bursts, files := watchSizes(cfg.quick)
	var names []string
	for _, iv := range intervals {
		names = append(names, fmt.Sprintf("%d edits %v apart", edits, iv))
	}
	burstName := fmt.Sprintf("burst of %d files (%d bursts)", files, bursts)
	names = append(names, burstName)
	fail := func(err error) []watchRow {
		var rows []watchRow
		for _, n := range names {
			rows = append(rows, watchRow{tool: t.name, scenario: n, err: err})
		}
		return rows
	}
	r, err := devProject("watch", t)
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(r.dir)
	app := filepath.Join(r.dir, "app")
	if err := writeWatchProject(r); err != nil {
		return fail(err)
	}
	defer func() {
		r.exec(context.Background(), "down", "-t", "0")
		// Docker Compose's --rmi local keeps an image named by image:.
		exec.Command("docker", "rmi", "-f", r.project+"-web").Run()
	}()
	if _, err := r.exec(ctx, "up", "-d", "--build"); err != nil {
		return fail(fmt.Errorf("setup: %w", err))
	}
	argv := append(append(append([]string{}, t.argv[1:]...), "-p", r.project, "-f", "compose.yaml"), "watch", "--no-up")
	w := exec.Command(t.argv[0], argv...)
	w.Dir = r.dir
	w.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := w.Start(); err != nil {
		return fail(err)
	}
	defer func() {
		w.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { w.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-w.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := follow(lctx, r.project+t.sep+"web"+t.sep+"1")
	// Prime until the watch is live: edits made before it watches are lost.
	deadline := time.Now().Add(90 * time.Second)
	for i := 1; ; i++ {
		v := fmt.Sprintf("prime-%d", i)
		save(app, v)
		if _, ok := seen.wait(v, time.Second); ok {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fail(fmt.Errorf("the watch did not sync within 90s"))
		}
	}
	var rows []watchRow
	for k, iv := range intervals {
		lat, err := steadyEdits(ctx, app, seen, fmt.Sprintf("s%d-", k), edits, iv)
		rows = append(rows, watchRow{tool: t.name, scenario: names[k], lat: lat, err: err})
	}
	lat, err := burstEdits(ctx, r, app, seen, bursts, files)
	rows = append(rows, watchRow{tool: t.name, scenario: burstName, lat: lat, err: err})
	return rows
}

func writeWatchProject(r *runner) error {
	app := filepath.Join(r.dir, "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(app, "f"), []byte("edit-0\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.dir, "Dockerfile"), []byte("FROM "+testImage+"\n"), 0o644); err != nil {
		return err
	}
	compose := fmt.Sprintf(`services:
  web:
    build: .
    image: %s-web
    command: ["sh", "-c", %s]
    stop_grace_period: 1s
    develop:
      watch:
        - path: ./app
          action: sync
          target: /app
`, r.project, strconv.Quote(strings.ReplaceAll(poller, "$", "$$")))
	return os.WriteFile(filepath.Join(r.dir, "compose.yaml"), []byte(compose), 0o644)
}

// steadyEdits saves n edits interval apart and returns each one's latency:
// until its content, or a later edit's, was read in the container.
func steadyEdits(ctx context.Context, app string, seen *seenLog, prefix string, n int, interval time.Duration) ([]time.Duration, error) {
	at := make([]time.Time, n)
	next := time.Now()
	for i := range n {
		next = next.Add(interval)
		time.Sleep(time.Until(next)) // pacing the edits, not synchronisation
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		at[i] = save(app, prefix+strconv.Itoa(i))
	}
	if _, ok := seen.wait(prefix+strconv.Itoa(n-1), 60*time.Second); !ok {
		return nil, fmt.Errorf("the last edit was not seen within 60s")
	}
	lat := make([]time.Duration, n)
	var first time.Time // earliest sighting of edit i or a later one
	for i := n - 1; i >= 0; i-- {
		if t, ok := seen.get(prefix + strconv.Itoa(i)); ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
		lat[i] = first.Sub(at[i])
	}
	return lat, nil
}

// burstEdits writes files files into a new directory, then saves f, and
// returns the latency of f; afterwards the container's tree must hold
// every file.
func burstEdits(ctx context.Context, r *runner, app string, seen *seenLog, bursts, files int) ([]time.Duration, error) {
	var lat []time.Duration
	for b := range bursts {
		time.Sleep(time.Second) // the previous burst's batches are over
		dir := filepath.Join(app, fmt.Sprintf("burst-%d", b))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		v := fmt.Sprintf("burst-%d", b)
		for j := range files {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d", j)), []byte(v), 0o644); err != nil {
				return nil, err
			}
		}
		at := save(app, v)
		t, ok := seen.wait(v, 60*time.Second)
		if !ok {
			return lat, fmt.Errorf("burst %d: its last file was not seen within 60s", b)
		}
		lat = append(lat, t.Sub(at))
	}
	// Every burst file is in the container.
	want := bursts * files
	var got int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		out, err := dockerOut(ctx, "exec", r.project+r.tool.sep+"web"+r.tool.sep+"1", "sh", "-c", "find /app -path '/app/burst-*' -type f | wc -l")
		if err != nil {
			return lat, err
		}
		if got, _ = strconv.Atoi(out); got == want {
			return lat, nil
		}
	}
	return lat, fmt.Errorf("%d burst files in the container, want %d", got, want)
}

// save writes v to app/f the way editors do, and returns when the rename
// put it in place.
func save(app, v string) time.Time {
	tmp := filepath.Join(app, ".f.tmp")
	os.WriteFile(tmp, []byte(v+"\n"), 0o644)
	os.Rename(tmp, filepath.Join(app, "f"))
	return time.Now()
}

// seenLog records when each content first appeared in the container logs.
type seenLog struct {
	mu   sync.Mutex
	at   map[string]time.Time
	cond *sync.Cond
}

// follow reads the container's logs with the engine's timestamps.
func follow(ctx context.Context, container string) *seenLog {
	s := &seenLog{at: map[string]time.Time{}}
	s.cond = sync.NewCond(&s.mu)
	cmd := exec.CommandContext(ctx, "docker", "logs", "-f", "-t", "--since", "0s", container)
	out, _ := cmd.StdoutPipe()
	cmd.Start()
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ts, v, ok := strings.Cut(sc.Text(), " ")
			t, err := time.Parse(time.RFC3339Nano, ts)
			if !ok || err != nil {
				continue
			}
			s.mu.Lock()
			if _, dup := s.at[v]; !dup {
				s.at[v] = t
			}
			s.cond.Broadcast()
			s.mu.Unlock()
		}
		cmd.Wait()
	}()
	return s
}

func (s *seenLog) get(v string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.at[v]
	return t, ok
}

// wait returns when v was first printed, or false after timeout.
func (s *seenLog) wait(v string, timeout time.Duration) (time.Time, bool) {
	// The timer's own flag, not a clock reading, ends the wait: a deadline
	// read after the timer was set lies a little after the moment it fires,
	// so the wake-up of its broadcast could see the deadline not yet passed
	// and wait again, forever when no other line came (it hung the
	// benchmark's smoke test for 40 minutes).
	expired := false
	timer := time.AfterFunc(timeout, func() { s.mu.Lock(); expired = true; s.cond.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if t, ok := s.at[v]; ok {
			return t, true
		}
		if expired {
			return time.Time{}, false
		}
		s.cond.Wait()
	}
}
