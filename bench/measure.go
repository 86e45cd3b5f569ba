package main

// A tool's peak RSS cannot be read from the rusage of a child of the
// benchmark: the kernel counts in a child's ru_maxrss the memory of the
// process it was forked from (the benchmark's, ~50 MB) until it execs. So
// each tool runs under this same binary in measure mode, a small process
// that starts the tool, waits for it and reports the tool's own wall time,
// CPU and peak RSS on file descriptor 3.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// measureFlag starts measure mode: bench -measure -- ARGV...
const measureFlag = "-measure"

// measureMain runs argv, reports "wall_ns cpu_ns maxrss_kb" on fd 3 and
// exits with the tool's status.
func measureMain(argv []string) {
	// Caught, not ignored: the tool (same process group) gets the signal
	// and the report is still written.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGINT, syscall.SIGTERM)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	ps := cmd.ProcessState
	if ps == nil {
		fmt.Fprintln(os.Stderr, "bench -measure:", err)
		os.Exit(127)
	}
	var rss int64
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	report := os.NewFile(3, "report")
	fmt.Fprintf(report, "%d %d %d\n", wall.Nanoseconds(), (ps.UserTime() + ps.SystemTime()).Nanoseconds(), rss)
	report.Close()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		os.Exit(128 + int(ws.Signal()))
	}
	os.Exit(ps.ExitCode())
}

// measured is the parent's side: the read end of the report.
type measured struct{ r *os.File }

// wrap makes cmd run under measure mode; call sample after Wait.
func wrap(cmd *exec.Cmd) (*measured, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Args = append([]string{self, measureFlag, "--", cmd.Path}, cmd.Args[1:]...)
	cmd.Path = self
	cmd.ExtraFiles = []*os.File{w}
	return &measured{r: r}, nil
}

// sample reads the tool's report; the write end must be closed (after
// Start) so that the read ends.
func (m *measured) sample() (sample, bool) {
	defer m.r.Close()
	data, err := io.ReadAll(m.r)
	f := strings.Fields(string(data))
	if err != nil || len(f) != 3 {
		return sample{}, false
	}
	wall, _ := strconv.ParseInt(f[0], 10, 64)
	cpu, _ := strconv.ParseInt(f[1], 10, 64)
	rss, _ := strconv.ParseInt(f[2], 10, 64)
	return sample{wall: time.Duration(wall), cpu: time.Duration(cpu), rss: rss}, true
}
