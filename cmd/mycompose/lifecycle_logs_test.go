package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLogsFollowPicksUpScaleUp: logs -f shows the lines of a replica
// created after it started.
func TestLogsFollowPicksUpScaleUp(t *testing.T) {
	h := newHarness(t, "lifecycle")
	h.ok("up", "-d", "web")
	logs := h.spawn("logs", "-f", "--no-color", "web")
	logs.waitLine(30*time.Second, "a line of web-1", func(l string) bool { return strings.HasPrefix(l, "web-1  | web up on ") })
	h.ok("scale", "web=2")
	logs.waitLine(30*time.Second, "a line of web-2", func(l string) bool { return strings.HasPrefix(l, "web-2  | web up on ") })
	logs.signal(os.Interrupt)
	logs.exit(10 * time.Second)
}

// TestLogsOptions: --tail, --no-log-prefix, --timestamps, --index and the
// end of logs -f once every followed container has stopped.
func TestLogsOptions(t *testing.T) {
	h := newHarness(t, "lifecycle")
	h.ok("up", "-d", "--scale", "web=2")
	h.ok("restart", "-t", "1", "db") // db now has two lines; web restarted with it
	if got := h.ok("logs", "--no-log-prefix", "-n", "1", "db").stdout; got != "db up\n" {
		t.Errorf("logs --no-log-prefix -n 1 db = %q", got)
	}
	if got := h.ok("logs", "--no-color", "db").stdout; got != "db-1  | db up\ndb-1  | db up\n" {
		t.Errorf("logs db = %q", got)
	}
	ts := regexp.MustCompile(`^web-2  \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z web up on `)
	for _, l := range strings.Split(strings.TrimSpace(h.ok("logs", "-t", "--index", "2", "web").stdout), "\n") {
		if !ts.MatchString(l) {
			t.Errorf("logs -t --index 2 web: line %q", l)
		}
	}
	if got := h.ok("logs", "--since", "1h", "--no-log-prefix", "-n", "1", "db").stdout; got != "db up\n" {
		t.Errorf("logs --since 1h = %q", got)
	}
	if got := h.ok("logs", "--until", "1h", "db").stdout; got != "" {
		t.Errorf("logs --until 1h (before the project existed) = %q", got)
	}
	h.fails("invalid --tail", "logs", "--tail", "many")

	// logs -f returns by itself once everything it follows has stopped.
	logs := h.spawn("logs", "-f", "db")
	logs.waitLine(30*time.Second, "a line of db-1", func(l string) bool { return strings.HasSuffix(l, "| db up") })
	h.ok("stop", "-t", "1")
	if code := logs.exit(20 * time.Second); code != 0 {
		t.Errorf("logs -f exit code %d after the containers stopped", code)
	}
}
