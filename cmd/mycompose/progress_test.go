package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestProgressJSON checks that --progress json emits one versioned JSON
// event per line on stderr, ending with every container started, and that
// results stay on stdout.
func TestProgressJSON(t *testing.T) {
	h := newHarness(t, "core")
	r := h.ok("--progress", "json", "up", "-d")
	started := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var e struct {
			Version              int
			Object, Name, Status string
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("stderr line is not JSON: %q", line)
		}
		if e.Version != 1 {
			t.Errorf("version %d in %q", e.Version, line)
		}
		if e.Object == "Container" && e.Status == "Started" {
			started[e.Name] = true
		}
	}
	for _, s := range []string{"db-1", "web-1", "worker-1"} {
		if !started[h.project+"-"+s] {
			t.Errorf("no Started event for %s", s)
		}
	}
	if r.stdout != "" {
		t.Errorf("progress leaked to stdout: %q", r.stdout)
	}
	if r := h.ok("--progress", "quiet", "down"); r.stderr != "" {
		t.Errorf("--progress quiet printed: %q", r.stderr)
	}
}

// TestProgressLiveViewOnTerminal runs up under a pseudo-terminal (script(1))
// and checks the live view: lines redrawn in place, a final state per object.
func TestProgressLiveViewOnTerminal(t *testing.T) {
	h := newHarness(t, "core")
	out := filepath.Join(t.TempDir(), "typescript")
	cmd := exec.Command("script", "-qfec", binary+" -p "+h.project+" up -d", out)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), "COLUMNS=100", "LINES=40")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("up under a terminal: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	screen := string(raw)
	// Redrawn in place: the cursor moves up over the frame and lines are
	// cleared before they are written again.
	if !strings.Contains(screen, "\x1b[2K") || !regexp.MustCompile(`\x1b\[[0-9]+A`).MatchString(screen) {
		t.Errorf("no in-place redraw in the terminal output: %q", screen)
	}
	for _, s := range []string{"db-1", "web-1", "worker-1"} {
		// Names are padded to the longest one in the frame.
		if !regexp.MustCompile(`✔ Container ` + regexp.QuoteMeta(h.project+"-"+s) + ` +Started`).MatchString(screen) {
			t.Errorf("final frame lacks %s started", s)
		}
	}
	h.want("db-1 running", "web-1 running", "worker-1 running")
}
