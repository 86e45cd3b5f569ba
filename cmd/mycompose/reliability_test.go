package main

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bigWant are the containers of testdata/e2e/big when converged.
var bigWant = []string{
	"s1-1 running", "s2-1 running", "s2-2 running", "s3-1 running", "s4-1 running", "s4-2 running",
	"s4-3 running", "s5-1 running", "s6-1 running", "s6-2 running", "s7-1 running", "s8-1 running",
	"s9-1 running", "s9-2 running", "s10-1 running",
}

// start launches mycompose in the background.
func (h *harness) start(args ...string) *exec.Cmd {
	h.t.Helper()
	cmd := exec.Command(binary, append([]string{"-p", h.project}, args...)...)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), h.env...)
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	return cmd
}

// assertConverged checks that the project is exactly bigWant on one network,
// with no temporary recreate names, and that every replica runs gen.
func assertConverged(t *testing.T, h *harness, gen string) {
	t.Helper()
	cs := h.want(bigWant...)
	for name, c := range cs {
		if !strings.HasPrefix(name, h.project+"-") {
			t.Errorf("container %q has a temporary name", name)
		}
		if c.Labels["com.docker.compose.project"] != h.project {
			t.Errorf("%s lacks the project label", name)
		}
	}
	if n := dockerLines(t, "network", "ls", "-q", "--filter", "name=^"+h.project+"_default$"); len(n) != 1 {
		t.Errorf("%d networks named %s_default, want 1", len(n), h.project)
	}
	for name := range cs {
		env := docker(t, "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", name)
		if !strings.Contains(env, "GEN="+gen+"\n") {
			t.Errorf("%s does not run generation %s", name, gen)
		}
	}
}

// TestKilledUpConverges SIGKILLs `up -d` at several moments; the next `up -d`
// must converge to exactly the desired containers.
func TestKilledUpConverges(t *testing.T) {
	for _, delay := range []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, 600 * time.Millisecond, 1200 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			h := newHarness(t, "big")
			cmd := h.start("up", "-d")
			time.Sleep(delay)
			cmd.Process.Kill()
			cmd.Wait()
			h.ok("up", "-d")
			assertConverged(t, h, "1")
		})
	}
}

// TestKilledRecreateConverges SIGKILLs `up -d` while it recreates every
// container after a config change; the next up finishes the job.
func TestKilledRecreateConverges(t *testing.T) {
	for _, delay := range []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 1000 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			h := newHarness(t, "big")
			h.ok("up", "-d")
			h.env = []string{"GEN=2"}
			cmd := h.start("up", "-d")
			time.Sleep(delay)
			cmd.Process.Kill()
			cmd.Wait()
			h.ok("up", "-d")
			assertConverged(t, h, "2")
		})
	}
}

// TestKilledDownCompletes SIGKILLs `down` and runs it again.
func TestKilledDownCompletes(t *testing.T) {
	h := newHarness(t, "big")
	h.ok("up", "-d")
	label := "label=com.docker.compose.project=" + h.project
	all := len(dockerLines(t, "ps", "-aq", "--filter", label))
	cmd := h.start("down", "-t", "1")
	// Killed mid-way: once the first container is gone.
	eventually(t, time.Minute, "down to remove a container", func() bool {
		return len(dockerLines(t, "ps", "-aq", "--filter", label)) < all
	})
	cmd.Process.Kill()
	cmd.Wait()
	h.ok("down", "-t", "1")
	h.want()
	if n := h.networks(); len(n) != 0 {
		t.Errorf("networks left: %v", n)
	}
}

// TestInterruptedUpExits130 sends SIGINT during up -d: the process exits 130
// and the next up converges.
func TestInterruptedUpExits130(t *testing.T) {
	h := newHarness(t, "big")
	cmd := h.start("up", "-d")
	// Interrupted mid-way: once the first container exists.
	eventually(t, time.Minute, "up to create a container", func() bool {
		return len(dockerLines(t, "ps", "-aq", "--filter", "label=com.docker.compose.project="+h.project)) > 0
	})
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	// The run may have finished before the signal on a fast engine.
	if code != 130 && code != 0 {
		t.Errorf("interrupted up exited %d, want 130", code)
	}
	h.ok("up", "-d")
	assertConverged(t, h, "1")
}

// TestConcurrentUps starts two ups (and an up racing a scale) at once: both
// succeed and the project has each container and its network once.
func TestConcurrentUps(t *testing.T) {
	h := newHarness(t, "big")
	var wg sync.WaitGroup
	results := make([]result, 3)
	for i, args := range [][]string{{"up", "-d"}, {"up", "-d"}, {"scale", "s4=3"}} {
		wg.Add(1)
		go func(i int, args []string) {
			defer wg.Done()
			results[i] = h.run(args...)
		}(i, args)
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("run %d exited %d:\n%s", i, r.code, r.stderr)
		}
	}
	assertConverged(t, h, "1")
}

// TestReplicaRemovedBehindOurBack brings back a removed replica under the
// same name and number, and a killed one by starting it, touching nothing else.
func TestReplicaRemovedBehindOurBack(t *testing.T) {
	h := newHarness(t, "big")
	h.ok("up", "-d")
	before := h.containers()
	docker(t, "rm", "-f", h.project+"-s4-2")
	docker(t, "kill", h.project+"-s9-1")
	h.ok("up", "-d")
	after := h.want(bigWant...)
	for name, c := range before {
		switch name {
		case h.project + "-s4-2":
			if after[name].ID == c.ID {
				t.Errorf("%s was not recreated", name)
			}
			if after[name].Labels["com.docker.compose.container-number"] != "2" {
				t.Errorf("%s has number %s", name, after[name].Labels["com.docker.compose.container-number"])
			}
		default:
			if after[name].ID != c.ID {
				t.Errorf("%s was recreated although only s4-2 was removed", name)
			}
		}
	}
}

// TestEngineUnreachable fails with one line naming the endpoint.
func TestEngineUnreachable(t *testing.T) {
	h := newHarness(t, "core")
	h.env = []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}
	start := time.Now()
	r := h.fails("unix:///nonexistent/docker.sock", "up", "-d")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	if lines := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; lines > 2 {
		t.Errorf("error is %d lines:\n%s", lines, r.stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: a retry storm?", d)
	}
	h.env = nil
	h.want()
}
