package main

// Helpers of the developer-workflow end-to-end tests: commands that keep
// running (logs -f, attached up, events) are spawned and read line by line.

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// spawned is a mycompose process running in the background.
type spawned struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  chan string
	mu     sync.Mutex
	stdout []string
	stderr bytes.Buffer
	done   chan struct{}
	code   int
}

// spawn starts mycompose with -p and args; its stdout is read line by line.
// The process is killed at the end of the test if it still runs.
func (h *harness) spawn(args ...string) *spawned {
	h.t.Helper()
	s := &spawned{t: h.t, lines: make(chan string, 1024), done: make(chan struct{})}
	s.cmd = exec.Command(binary, append([]string{"-p", h.project}, args...)...)
	s.cmd.Dir = h.dir
	s.cmd.Env = append(os.Environ(), h.env...)
	s.cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.stderr}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.mu.Lock()
			s.stdout = append(s.stdout, sc.Text())
			s.mu.Unlock()
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
		err := s.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			s.code = ee.ExitCode()
		}
		close(s.done)
	}()
	h.t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// output returns what the process printed so far.
func (s *spawned) output() (stdout, stderr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.stdout, "\n"), s.stderr.String()
}

// waitLine waits for a stdout line for which match holds.
func (s *spawned) waitLine(timeout time.Duration, what string, match func(string) bool) string {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-s.lines:
			if match(l) {
				return l
			}
		case <-s.done:
			// Lines printed just before the exit are still queued.
			for {
				select {
				case l := <-s.lines:
					if match(l) {
						return l
					}
				default:
					out, errs := s.output()
					s.t.Fatalf("process exited (code %d) before printing %s\nstdout:\n%s\nstderr:\n%s", s.code, what, out, errs)
				}
			}
		case <-deadline:
			out, errs := s.output()
			s.t.Fatalf("timed out waiting for %s\nstdout:\n%s\nstderr:\n%s", what, out, errs)
		}
	}
}

// tryLine waits for a stdout line for which match holds; false if none
// came within timeout.
func (s *spawned) tryLine(timeout time.Duration, match func(string) bool) (string, bool) {
	deadline := time.After(timeout)
	for {
		select {
		case l := <-s.lines:
			if match(l) {
				return l, true
			}
		case <-deadline:
			return "", false
		}
	}
}

// signal sends sig to the process.
func (s *spawned) signal(sig os.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal: %v", err)
	}
}

// exit waits for the process to end and returns its exit code.
func (s *spawned) exit(timeout time.Duration) int {
	s.t.Helper()
	select {
	case <-s.done:
		return s.code
	case <-time.After(timeout):
		out, errs := s.output()
		s.t.Fatalf("process did not exit within %s\nstdout:\n%s\nstderr:\n%s", timeout, out, errs)
		return 0
	}
}

// runStdin runs mycompose with -p and the given stdin.
func (h *harness) runStdin(stdin string, args ...string) result {
	h.t.Helper()
	cmd := exec.Command(binary, append([]string{"-p", h.project}, args...)...)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), h.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatalf("run mycompose %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// code runs mycompose and fails the test unless it exits with want.
func (h *harness) code(want int, args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != want {
		h.t.Fatalf("mycompose %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// times returns a container's start and finish times from docker inspect.
func times(t *testing.T, name string) (started, finished time.Time) {
	t.Helper()
	out := strings.Fields(docker(t, "inspect", "--format", "{{.State.StartedAt}} {{.State.FinishedAt}}", name))
	started, err1 := time.Parse(time.RFC3339Nano, out[0])
	finished, err2 := time.Parse(time.RFC3339Nano, out[1])
	if err1 != nil || err2 != nil {
		t.Fatalf("inspect times of %s: %v %v", name, err1, err2)
	}
	return started, finished
}

// oneOffs returns the project's one-off containers.
func (h *harness) oneOffs() []engineContainer {
	h.t.Helper()
	var out []engineContainer
	for _, c := range h.containers() {
		if c.Labels["com.docker.compose.oneoff"] == "True" {
			out = append(out, c)
		}
	}
	return out
}
