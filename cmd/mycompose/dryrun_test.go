package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

// engineEvents returns the engine's events since an instant that concern
// the project (an object name or attribute mentioning it).
func engineEvents(t *testing.T, project string, since time.Time) []string {
	t.Helper()
	// The engine logs its events in order: once an event of a marker made
	// now is in the log, every event of the command that ended before it is
	// too. No sleep guesses how long that takes.
	suffix := make([]byte, 4)
	rand.Read(suffix)
	marker := "mycompose-events-marker-" + hex.EncodeToString(suffix)
	docker(t, "volume", "create", marker)
	docker(t, "volume", "rm", marker)
	deadline := time.Now().Add(30 * time.Second)
	for {
		now := time.Now()
		out := docker(t, "events", "--format", "{{json .}}",
			"--since", fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond()),
			"--until", fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond()))
		if strings.Contains(out, marker) {
			var mine []string
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, project) {
					mine = append(mine, line)
				}
			}
			return mine
		}
		if now.After(deadline) {
			t.Fatalf("the engine's event log never showed the marker volume %s", marker)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDryRunRecordsNoEngineEvent runs every mutating command with --dry-run,
// on a fresh and on a running project, while the engine's event stream is
// recorded: not one event may concern the project.
func TestDryRunRecordsNoEngineEvent(t *testing.T) {
	h := newHarness(t, "core")
	dry := func(args ...string) {
		t.Helper()
		since := time.Now()
		h.ok(append([]string{"--dry-run"}, args...)...)
		if ev := engineEvents(t, h.project, since); len(ev) > 0 {
			t.Errorf("--dry-run %s produced engine events:\n%s", strings.Join(args, " "), strings.Join(ev, "\n"))
		}
	}
	dry("up", "-d")
	dry("scale", "web=2")
	h.want()
	since := time.Now()
	h.ok("up", "-d")
	if ev := engineEvents(t, h.project, since); len(ev) == 0 {
		t.Fatal("a real up recorded no event: the recorder is blind")
	}
	before := h.want("db-1 running", "web-1 running", "worker-1 running")
	h.env = []string{"GREETING=changed"}
	dry("up", "-d")
	dry("up", "-d", "--force-recreate", "--remove-orphans")
	dry("scale", "web=3", "worker=0")
	dry("down", "-v", "--rmi", "all")
	h.env = nil
	after := h.want("db-1 running", "web-1 running", "worker-1 running")
	for n, c := range before {
		if after[n].ID != c.ID {
			t.Errorf("dry runs changed %s", n)
		}
	}
}
