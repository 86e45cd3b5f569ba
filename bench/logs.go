package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// logsLoad is the log traffic of scenario 11: replicas of one service,
// each writing rate numbered lines a second for the given seconds, once
// the benchmark creates the file go in the project directory (mounted at
// /bench), so that the lines are written while `logs -f` follows.
type logsLoad struct {
	replicas, rate, seconds int
}

// logLine is the payload every replica writes: its hostname (12 hex
// digits), the line's number, and padding to a realistic line length.
var logLine = regexp.MustCompile(`^([0-9a-f]{12}) ([0-9]+) x{60}$`)

// ansi matches colour escapes, in case a tool colours its prefixes.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func logsModel(l logsLoad) model {
	// Writes rate/10 lines, flushes, sleeps 0.1 s; $$ is compose's escape.
	script := fmt.Sprintf(`while [ ! -e /bench/go ]; do sleep 0.1; done; exec awk -v id="$$(hostname)" 'BEGIN {
  pad = sprintf("%%60s", ""); gsub(/ /, "x", pad); n = 0
  for (t = 0; t < %d; t++) {
    for (i = 0; i < %d; i++) { printf "%%s %%d %%s\n", id, n, pad; n++ }
    fflush(); system("sleep 0.1")
  }
}'`, l.seconds*10, l.rate/10)
	return model{{name: "web", replicas: l.replicas, rev: "1", command: []string{"sh", "-c", script}, mountDir: true}}
}

// logsResult is what the tool printed, checked line by line.
type logsResult struct {
	lines int   // well-formed lines, in order
	lost  int   // lines never printed
	bad   int   // lines cut, merged with another, repeated or out of order
	bytes int64 // bytes the tool printed
}

// doLogs brings the replicas up, starts `logs -f`, lets the replicas write,
// and reads the tool's output until every line came (or a deadline): the
// sample is the time from the first line written to the last one read, and
// the tool's CPU.
func (r *runner) doLogs(ctx context.Context) (sample, error) {
	l := r.sc.logs
	if r.tool.isFloor() {
		return sample{}, fmt.Errorf("the floor has no logs -f")
	}
	if _, err := r.up(ctx, l.replicas); err != nil {
		return sample{}, fmt.Errorf("setup: %w", err)
	}
	r.exists = true
	cmd, m, err := r.command(ctx, "logs", "-f")
	if err != nil {
		return sample{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return sample{}, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	time.Sleep(500 * time.Millisecond) // the tool attaches to the replicas
	start := time.Now()
	if err := os.WriteFile(filepath.Join(r.dir, "go"), nil, 0o644); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return sample{}, err
	}
	want := l.replicas * l.rate * l.seconds
	done := make(chan struct{})
	var res logsResult
	var last time.Time
	go func() {
		defer close(done)
		res, last = readLogs(stdout, want, l.rate*l.seconds)
	}()
	deadline := time.Duration(l.seconds)*3*time.Second + 60*time.Second
	select {
	case <-done:
	case <-time.After(deadline):
	case <-ctx.Done():
	}
	// The tool may follow forever once everything is read: stop it.
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(2 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	<-done
	s, _ := m.sample()
	s.wall = last.Sub(start)
	r.logs = res
	if res.lost > 0 || res.bad > 0 || res.lines != want {
		return s, fmt.Errorf("logs -f printed %d of %d lines in order: %d lost, %d cut, merged, repeated or out of order\n%s",
			res.lines, want, res.lost, res.bad, tail(stderr.String(), 6))
	}
	return s, nil
}

// readLogs reads `logs -f` output until want good lines or EOF, checking
// that each replica's lines come whole and in order, perReplica of them.
func readLogs(rd io.Reader, want, perReplica int) (logsResult, time.Time) {
	var res logsResult
	next := map[string]int{}
	last := time.Now()
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		raw := sc.Bytes()
		res.bytes += int64(len(raw)) + 1
		line := string(raw)
		if strings.Contains(line, "\x1b") {
			line = ansi.ReplaceAllString(line, "")
		}
		i := strings.Index(line, "| ")
		if i < 0 && !strings.Contains(line, "xxxxxxxxxx") {
			continue // the tool's own message, not a container's line
		}
		m := logLine.FindStringSubmatch(line[i+2:])
		if i < 0 || m == nil {
			res.bad++
			continue
		}
		n, _ := strconv.Atoi(m[2])
		switch exp := next[m[1]]; {
		case n == exp:
			res.lines++
		case n > exp:
			res.lost += n - exp
			res.lines++
		default:
			res.bad++
			continue
		}
		next[m[1]] = n + 1
		last = time.Now()
		if res.lines == want {
			break
		}
	}
	go io.Copy(io.Discard, rd) // let the tool finish writing
	for _, n := range next {
		res.lost += perReplica - n
	}
	if len(next)*perReplica < want {
		res.lost += want - len(next)*perReplica
	}
	return res, last
}
