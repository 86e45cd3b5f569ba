package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUpAttachedExitCodeFrom: --exit-code-from returns the chosen service's
// code and stops (without removing) every container of the up.
func TestUpAttachedExitCodeFrom(t *testing.T) {
	h := newHarness(t, "attached")
	r := h.code(3, "up", "--no-color", "--exit-code-from", "job", "app", "job")
	h.want("app-1 exited", "job-1 exited")
	if !strings.Contains(r.stdout, "job-1 exited with code 3") {
		t.Errorf("no exit message:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "app-1  | app ready") {
		t.Errorf("logs are not prefixed \"app-1  | \":\n%s", r.stdout)
	}

	// A failure with --abort-on-container-failure returns its code too.
	h.code(3, "up", "--abort-on-container-failure", "app", "job")
	h.want("app-1 exited", "job-1 exited")
}

// TestUpAttachedInterrupt: Ctrl-C stops the containers gracefully and
// exits 130, leaving them stopped, not removed.
func TestUpAttachedInterrupt(t *testing.T) {
	h := newHarness(t, "attached")
	up := h.spawn("up", "app")
	up.waitLine(30*time.Second, "app's first log line", func(l string) bool { return strings.HasSuffix(l, "| app ready") })
	h.want("app-1 running")
	up.signal(os.Interrupt)
	if code := up.exit(30 * time.Second); code != 130 {
		_, stderr := up.output()
		t.Fatalf("exit code %d, want 130\nstderr:\n%s", code, stderr)
	}
	h.want("app-1 exited")
	if _, stderr := up.output(); !strings.Contains(stderr, "Gracefully stopping") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestUpAttachedSecondInterruptKills: a second Ctrl-C kills a container
// that ignores SIGTERM instead of waiting for its 60s grace period.
func TestUpAttachedSecondInterruptKills(t *testing.T) {
	h := newHarness(t, "attached")
	up := h.spawn("up", "stubborn")
	up.waitLine(30*time.Second, "stubborn's first log line", func(l string) bool { return strings.HasSuffix(l, "| stubborn ready") })
	up.signal(os.Interrupt)
	eventually(t, 10*time.Second, "the graceful stop to begin", func() bool {
		_, stderr := up.output()
		return strings.Contains(stderr, "Stopping")
	})
	began := time.Now()
	up.signal(syscall.SIGINT)
	if code := up.exit(20 * time.Second); code != 130 {
		t.Fatalf("exit code %d, want 130", code)
	}
	if d := time.Since(began); d > 15*time.Second {
		t.Errorf("the second interrupt took %s to end the run", d)
	}
	cs := h.want("stubborn-1 exited")
	if out := docker(t, "inspect", "--format", "{{.State.ExitCode}}", cs[h.project+"-stubborn-1"].ID); strings.TrimSpace(out) != "137" {
		t.Errorf("stubborn exit code %s, want 137 (killed)", out)
	}
}

// TestUpAttachedFlagConflicts: flag combinations are refused as Docker
// Compose refuses them, before anything is created.
func TestUpAttachedFlagConflicts(t *testing.T) {
	h := newHarness(t, "attached")
	h.fails("--detach cannot be combined with --abort-on-container-exit", "up", "-d", "--abort-on-container-exit")
	h.fails("--detach cannot be combined", "up", "-d", "--exit-code-from", "job")
	h.fails("--abort-on-container-failure cannot be combined with --abort-on-container-exit",
		"up", "--abort-on-container-exit", "--abort-on-container-failure")
	h.fails("cannot combine --attach and --attach-dependencies", "up", "--attach", "app", "--attach-dependencies")
	h.fails("cannot attach to services not included in up: stubborn", "up", "--attach", "stubborn", "app")
	h.fails("no such service", "up", "--exit-code-from", "nope")
	h.want()
}

// TestUpAttachedFollowsRestarts: attached up keeps showing the logs of a
// container restarted by another command, and of replicas scaled up.
func TestUpAttachedFollowsRestarts(t *testing.T) {
	h := newHarness(t, "attached")
	up := h.spawn("up", "--no-color", "app")
	up.waitLine(30*time.Second, "app's first log line", func(l string) bool { return l == "app-1  | app ready" })
	h.ok("restart", "-t", "1", "app")
	up.waitLine(30*time.Second, "app's log line after the restart", func(l string) bool { return l == "app-1  | app ready" })
	h.ok("scale", "app=2")
	up.waitLine(30*time.Second, "a log line of app-2", func(l string) bool { return l == "app-2  | app ready" })
	up.signal(os.Interrupt)
	if code := up.exit(30 * time.Second); code != 130 {
		t.Fatalf("exit code %d, want 130", code)
	}
	h.want("app-1 exited", "app-2 exited")
}
