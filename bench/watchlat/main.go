// Command watchlat measures the dev loop of `watch`: the time from a file's
// rename into place on the host (an editor's atomic save) to the new content
// being readable in the container, over steady edits at several intervals,
// and for a burst of files. The container reads the file in a 5 ms loop and
// prints each new content; the engine timestamps that log line, on the same
// clock as the host. Docker Compose is measured too when `docker compose`
// is installed.
//
//	go run ./bench/watchlat [-edits 100] [-intervals 1s,400ms] [-burst 1000] [-out bench/WATCH.md]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

const testImage = "mycompose-test/busybox:latest"

// poller prints the content of /app/f each time it changes.
const poller = `last=; while :; do v=; read -r v < /app/f 2>/dev/null; if [ "$v" != "$last" ]; then echo "$v"; last=$v; fi; usleep 5000; done`

type tool struct {
	name string
	argv []string
}

func main() {
	edits := flag.Int("edits", 100, "edits per interval")
	intervals := flag.String("intervals", "1s,400ms", "comma-separated intervals between edits")
	burst := flag.Int("burst", 1000, "files in the burst (0: no burst)")
	out := flag.String("out", "bench/WATCH.md", "Markdown results file")
	bin := flag.String("bin", "", "mycompose binary (default: go build ./cmd/mycompose)")
	flag.Parse()
	if *bin != "" {
		abs, err := filepath.Abs(*bin)
		check(err)
		*bin = abs
	} else {
		dir, err := os.MkdirTemp("", "watchlat")
		check(err)
		defer os.RemoveAll(dir)
		*bin = filepath.Join(dir, "mycompose")
		if o, err := exec.Command("go", "build", "-o", *bin, "./cmd/mycompose").CombinedOutput(); err != nil {
			check(fmt.Errorf("go build: %v\n%s", err, o))
		}
	}
	tools := []tool{{"mycompose", []string{*bin}}}
	if exec.Command("docker", "compose", "version").Run() == nil {
		tools = append(tools, tool{"docker compose", []string{"docker", "compose"}})
	}
	var rows []string
	for _, t := range tools {
		for _, iv := range strings.Split(*intervals, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(iv))
			check(err)
			lat, err := measure(t, *edits, d, 0)
			rows = append(rows, row(t.name, fmt.Sprintf("%d edits %v apart", *edits, d), lat, err))
		}
		if *burst > 0 {
			lat, err := measure(t, 5, time.Second, *burst)
			rows = append(rows, row(t.name, fmt.Sprintf("burst of %d files (5 bursts)", *burst), lat, err))
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	report := fmt.Sprintf("# watch latency\n\n- Date: %s\n- Load average at the end: %s\n- Latency: rename into place on the host → new content read in the container (5 ms poll, engine log timestamps)\n\n| Tool | Scenario | p50 ms | p95 ms | max ms | n |\n|---|---|---:|---:|---:|---:|\n%s\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), strings.TrimSpace(string(load)), strings.Join(rows, "\n"))
	fmt.Print(report)
	check(os.WriteFile(*out, []byte(report), 0o644))
}

func row(name, scenario string, lat []time.Duration, err error) string {
	if err != nil {
		return fmt.Sprintf("| %s | %s | failed: %v | | | |", name, scenario, err)
	}
	return fmt.Sprintf("| %s | %s | %d | %d | %d | %d |", name, scenario, pct(lat, 50), pct(lat, 95), pct(lat, 100), len(lat))
}

func pct(lat []time.Duration, p int) int64 {
	if len(lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i].Milliseconds()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "watchlat:", err)
		os.Exit(1)
	}
}

// measure runs one watch on a fresh project and returns the latency of
// each edit (with burst > 0, each edit first writes burst files).
func measure(t tool, edits int, interval time.Duration, burst int) ([]time.Duration, error) {
	dir, err := os.MkdirTemp("", "watchlat-proj")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	name := fmt.Sprintf("watchlat-%d", time.Now().UnixNano()%1e9)
	app := filepath.Join(dir, "app")
	os.MkdirAll(app, 0o755)
	os.WriteFile(filepath.Join(app, "f"), []byte("edit-0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+testImage+"\n"), 0o644)
	compose := fmt.Sprintf(`services:
  web:
    build: .
    image: %s-web
    command: ["sh", "-c", %q]
    stop_grace_period: 1s
    develop:
      watch:
        - path: ./app
          action: sync
          target: /app
`, name, strings.ReplaceAll(poller, "$", "$$"))
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644)
	run := func(args ...string) *exec.Cmd {
		cmd := exec.Command(t.argv[0], append(append(t.argv[1:], "-p", name), args...)...)
		cmd.Dir = dir
		return cmd
	}
	defer func() {
		run("down", "-t", "0").Run()
		exec.Command("docker", "rmi", name+"-web").Run()
	}()
	if o, err := run("up", "-d").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("up: %v: %s", err, o)
	}
	w := run("watch", "--no-up")
	w.Stdout, w.Stderr = nil, nil
	if err := w.Start(); err != nil {
		return nil, err
	}
	defer func() { w.Process.Signal(os.Interrupt); w.Wait() }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := follow(ctx, name+"-web-1")
	// Prime until the watch is live: edits made before it watches are lost.
	deadline := time.Now().Add(60 * time.Second)
	for i := 1; ; i++ {
		v := fmt.Sprintf("prime-%d", i)
		save(app, v)
		if seen.wait(v, time.Second) != (time.Time{}) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the watch did not sync within 60s")
		}
	}
	var lat []time.Duration
	next := time.Now()
	for i := 1; i <= edits; i++ {
		next = next.Add(interval)
		time.Sleep(time.Until(next)) // pacing the edits, not synchronisation
		v := fmt.Sprintf("edit-%d", i)
		if burst > 0 {
			bdir := filepath.Join(app, fmt.Sprintf("burst-%d", i))
			os.MkdirAll(bdir, 0o755)
			for j := range burst {
				os.WriteFile(filepath.Join(bdir, fmt.Sprintf("f%04d", j)), []byte(v), 0o644)
			}
		}
		at := save(app, v)
		if got := seen.wait(v, 30*time.Second); got != (time.Time{}) {
			lat = append(lat, got.Sub(at))
		} else {
			return lat, fmt.Errorf("edit %d not seen within 30s", i)
		}
	}
	return lat, nil
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

// wait returns when v was first printed, or zero after timeout.
func (s *seenLog) wait(v string, timeout time.Duration) time.Time {
	timer := time.AfterFunc(timeout, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	deadline := time.Now().Add(timeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if t, ok := s.at[v]; ok {
			return t
		}
		if time.Now().After(deadline) {
			return time.Time{}
		}
		s.cond.Wait()
	}
}
