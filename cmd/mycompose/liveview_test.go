package main

// End-to-end tests of the live view in a real terminal: mycompose runs in a
// detached tmux session of a given size (its own tmux server, on a socket
// of its own), and the test reads the pane as a user would see it.

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// spinnerChars are the live view's working marks (render.Spinner).
const spinnerChars = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

// pane is a tmux session running one mycompose command.
type pane struct {
	t    *testing.T
	sock string // the tmux server's socket (-S)
}

// inTmux runs mycompose with args in the harness's directory, on a
// width x height terminal. The shell prints EXIT:<code> after it and stays,
// so that the final frame can be read.
func (h *harness) inTmux(width, height int, args ...string) *pane {
	h.t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		h.t.Fatal("the live view tests need tmux: apt-get install -y tmux (scripts/tmux.sh, run by make test)")
	}
	// The server's socket lives in the test's temporary directory, removed
	// with it (tmux leaves the file behind when its server is killed).
	p := &pane{t: h.t, sock: filepath.Join(h.t.TempDir(), "tmux")}
	quoted := []string{shellQuote(binary), "-p", shellQuote(h.project)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	// The shell traps SIGINT (its child gets the default action back) so
	// that after a Ctrl-C it still prints the exit code.
	script := `trap 'true' INT; ` + strings.Join(quoted, " ") + `; echo "EXIT:$?"; exec sleep 600`
	cmd := exec.Command("tmux", "-S", p.sock, "-f", "/dev/null", "new-session", "-d", "-s", "lv",
		"-x", strconv.Itoa(width), "-y", strconv.Itoa(height), "-c", h.dir, script)
	cmd.Env = append(append(os.Environ(), "TMUX=", "TERM=xterm-256color"), h.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		h.t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	h.t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })
	return p
}

// capture returns the visible pane, trailing blank lines removed.
func (p *pane) capture() string {
	out, err := exec.Command("tmux", "-S", p.sock, "capture-pane", "-p", "-t", "lv").Output()
	if err != nil {
		p.t.Fatalf("tmux capture-pane: %v", err)
	}
	return strings.TrimRight(string(out), "\n ")
}

// wait polls the pane until the command exits, calling each (when not nil)
// with every distinct screen seen, and returns the final frame (the lines
// from the last summary line to the EXIT line) and the exit code.
func (p *pane) wait(timeout time.Duration, each func(screen string)) ([]string, int) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		s := p.capture()
		if s != last && each != nil {
			each(s)
		}
		last = s
		if i := strings.Index(s, "EXIT:"); i >= 0 {
			code, _ := strconv.Atoi(strings.TrimSpace(s[i+len("EXIT:"):]))
			lines := strings.Split(s[:i], "\n")
			start := 0
			for j, l := range lines {
				if strings.HasPrefix(l, "[+] ") {
					start = j
				}
			}
			return trimRight(lines[start:]), code
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("command still running after %s; screen:\n%s", timeout, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func trimRight(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l = strings.TrimRight(l, " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// statusColumn returns the column at which word starts in line, -1 if absent.
func statusColumn(line, word string) int {
	i := strings.Index(line, " "+word)
	if i < 0 {
		return -1
	}
	return utf8.RuneCountInString(line[:i+1])
}

// TestLiveViewUpInTmux brings up a project with a healthcheck dependency
// and three replicas on terminals 80 and 140 columns wide and checks the
// final frame: the summary's counts, one aligned line per object named by
// container, waits included, no spinner left, nothing wrapped.
func TestLiveViewUpInTmux(t *testing.T) {
	for _, width := range []int{80, 140} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			h := newHarness(t, "liveview")
			waiting := regexp.MustCompile(`^ \S Container ` + regexp.QuoteMeta(h.project) + `-db-1 +Waiting +for healthy `)
			sawWait := false
			p := h.inTmux(width, 30, "up", "-d")
			frame, code := p.wait(90*time.Second, func(s string) {
				for _, l := range strings.Split(s, "\n") {
					sawWait = sawWait || waiting.MatchString(l)
					if strings.Contains(l, "Container db ") {
						t.Errorf("a line names the service, not the container: %q", l)
					}
				}
			})
			t.Logf("final frame at %d columns:\n%s", width, strings.Join(frame, "\n"))
			if code != 0 {
				t.Fatalf("up -d exited %d", code)
			}
			if len(frame) != 6 || frame[0] != "[+] Running 5/5" {
				t.Fatalf("want a summary \"[+] Running 5/5\" and 5 object lines, got:\n%s", strings.Join(frame, "\n"))
			}
			want := map[string]string{
				"Network " + h.project + "_default": "Created",
				"Container " + h.project + "-db-1":  "Healthy",
				"Container " + h.project + "-web-1": "Started",
				"Container " + h.project + "-web-2": "Started",
				"Container " + h.project + "-web-3": "Started",
			}
			col := -1
			for _, l := range frame[1:] {
				if strings.ContainsAny(l, spinnerChars) {
					t.Errorf("spinner left on a finished line: %q", l)
				}
				if !strings.HasPrefix(l, " ✔ ") {
					t.Errorf("line not marked done: %q", l)
				}
				if n := utf8.RuneCountInString(l); n >= width {
					t.Errorf("line of %d columns on a %d-column terminal: %q", n, width, l)
				}
				fields := strings.Fields(l)
				if len(fields) < 4 {
					t.Errorf("line %q", l)
					continue
				}
				obj, status := fields[1]+" "+fields[2], fields[3]
				if want[obj] != status {
					t.Errorf("%s is %q, want %q", obj, status, want[obj])
				}
				delete(want, obj)
				if c := statusColumn(l, status); col == -1 {
					col = c
				} else if c != col {
					t.Errorf("state column at %d, want %d (aligned): %q", c, col, l)
				}
				if !regexp.MustCompile(`\d+\.\ds$`).MatchString(l) {
					t.Errorf("no elapsed time at the end of %q", l)
				}
			}
			if len(want) != 0 {
				t.Errorf("missing lines: %v", want)
			}
			if !sawWait {
				t.Error("no frame showed the db container waiting for healthy")
			}
			if f := p.cursorFlag(); f != "1" {
				t.Errorf("cursor hidden after the run (cursor_flag %q)", f)
			}
			h.want("db-1 running", "web-1 running", "web-2 running", "web-3 running")
		})
	}
}

// TestLiveViewCtrlCInTmux interrupts an up waiting for a healthcheck that
// never passes, after narrowing the terminal from 80 to 60 columns: the
// frame is re-laid out (names cut in the middle), the final frame stays,
// the waiting line stops spinning, and the cursor is visible again.
func TestLiveViewCtrlCInTmux(t *testing.T) {
	h := newHarness(t, "liveview")
	p := h.inTmux(80, 20, "-f", "compose.stuck.yaml", "up", "-d")
	eventually(t, 60*time.Second, "the wait for db's health on screen", func() bool {
		return strings.Contains(p.capture(), "Waiting  for healthy")
	})
	if f := p.cursorFlag(); f != "0" {
		t.Errorf("cursor_flag %q while the view is live, want 0 (hidden)", f)
	}
	// A narrower terminal: the next frames are laid out for 60 columns,
	// over the old frame (which tmux re-wrapped), leaving no debris.
	if out, err := exec.Command("tmux", "-S", p.sock, "resize-window", "-t", "lv", "-x", "60").CombinedOutput(); err != nil {
		t.Fatalf("tmux resize-window: %v\n%s", err, out)
	}
	var screen string
	eventually(t, 10*time.Second, "the frame re-laid out for 60 columns", func() bool {
		screen = p.capture()
		lines := strings.Split(screen, "\n")
		for _, l := range lines {
			if utf8.RuneCountInString(strings.TrimRight(l, " ")) > 59 || !(strings.HasPrefix(l, "[+] ") || strings.HasPrefix(l, " ")) {
				return false
			}
		}
		return strings.Count(screen, "[+] ") == 1 && len(lines) == 4 && strings.HasSuffix(strings.TrimRight(lines[3], " "), "s")
	})
	t.Logf("frame at 60 columns:\n%s", screen)
	if out, err := exec.Command("tmux", "-S", p.sock, "send-keys", "-t", "lv", "C-c").CombinedOutput(); err != nil {
		t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
	frame, code := p.wait(30*time.Second, nil)
	t.Logf("final frame after Ctrl-C:\n%s", strings.Join(frame, "\n"))
	if code != 130 {
		t.Errorf("exit code %d after Ctrl-C, want 130", code)
	}
	text := strings.Join(frame, "\n")
	if !strings.HasPrefix(text, "[+] Running ") || !regexp.MustCompile(`(?m)^ - Container e2e-live\S*…\S*-db-1 +Waiting +for healthy`).MatchString(text) {
		t.Errorf("final frame does not show the interrupted wait:\n%s", text)
	}
	if strings.ContainsAny(text, spinnerChars) {
		t.Errorf("spinner left after Ctrl-C:\n%s", text)
	}
	if f := p.cursorFlag(); f != "1" {
		t.Errorf("cursor hidden after Ctrl-C (cursor_flag %q)", f)
	}
}

// cursorFlag is tmux's cursor_flag of the pane: "1" when the cursor shows.
func (p *pane) cursorFlag() string {
	out, err := exec.Command("tmux", "-S", p.sock, "display-message", "-p", "-t", "lv", "#{cursor_flag}").Output()
	if err != nil {
		p.t.Fatalf("tmux display-message: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestLiveViewBuildInTmux builds an image: the Built line is marked done
// and stops spinning.
func TestLiveViewBuildInTmux(t *testing.T) {
	h := newHarness(t, "build")
	t.Cleanup(func() { runDocker("rmi", "-f", h.project+"-app") })
	frame, code := h.inTmux(80, 20, "build", "app").wait(120*time.Second, nil)
	text := strings.Join(frame, "\n")
	t.Logf("final frame:\n%s", text)
	if code != 0 {
		t.Fatalf("build exited %d", code)
	}
	if len(frame) != 2 || frame[0] != "[+] Building 1/1" || !regexp.MustCompile(`^ ✔ Image `+regexp.QuoteMeta(h.project)+`-app +Built +\S+ +\d+\.\ds$`).MatchString(frame[1]) {
		t.Errorf("final frame:\n%s", text)
	}
	if strings.ContainsAny(text, spinnerChars) {
		t.Error("spinner left on the Built line")
	}
}

// throttle is a TCP proxy to addr that sends at most rate bytes a second
// towards the client, so that a pull takes a known time whatever the
// machine's speed.
func throttle(t *testing.T, addr string, rate int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				s, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer s.Close()
				go io.Copy(s, c)
				start, sent := time.Now(), 0
				buf := make([]byte, 32<<10)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
						sent += n
						if ahead := time.Duration(float64(sent)/float64(rate)*float64(time.Second)) - time.Since(start); ahead > 0 {
							time.Sleep(ahead)
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// publishBig pushes an image with a layer of size random (incompressible)
// bytes to the registry and removes it locally.
func publishBig(t *testing.T, ref string, size int) {
	t.Helper()
	dir := t.TempDir()
	data := make([]byte, size)
	rand.Read(data)
	os.WriteFile(filepath.Join(dir, "blob"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+testImage+"\nCOPY blob /blob\n"), 0o644)
	if out, err := exec.Command("docker", "build", "-q", "-t", ref, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build %s: %v\n%s", ref, err, out)
	}
	id := imageID(t, ref)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", id).Run() })
	docker(t, "push", ref)
	docker(t, "rmi", ref)
}

// TestLiveViewPullProgressInTmux pulls a 48 MB image through a proxy
// throttled to 12 MB/s and reads the pane while it runs: the image line
// shows a bar and a byte count that grows, its layers show beneath it, and
// the final frame is one collapsed, finished line. The same pull with
// --progress json and plain follows.
func TestLiveViewPullProgressInTmux(t *testing.T) {
	reg := startRegistry(t, "")
	const size, rate = 48_000_000, 12_000_000
	publishBig(t, reg+"/liveview/big:1", size)
	proxy := throttle(t, reg, rate)
	ref := proxy + "/liveview/big:1"
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref).Run() })

	h := newHarness(t, "liveview")
	h.env = []string{"IMAGE=" + ref, "XDG_CACHE_HOME=" + t.TempDir(), "DOCKER_CONFIG=" + t.TempDir()}
	start := time.Now()
	var screens []string
	frame, code := h.inTmux(100, 30, "-f", "compose.pull.yaml", "pull").wait(120*time.Second, func(s string) {
		screens = append(screens, s)
	})
	took := time.Since(start)
	t.Logf("pull took %s, %d distinct screens; final frame:\n%s", took.Round(100*time.Millisecond), len(screens), strings.Join(frame, "\n"))
	if code != 0 {
		t.Fatalf("pull exited %d", code)
	}
	if took < time.Duration(size/rate)*time.Second {
		t.Errorf("the pull took %s: the proxy did not throttle it", took)
	}

	// Intermediate frames: the image line's bytes grow, under a bar, and
	// layer lines show beneath it.
	imageLine := regexp.MustCompile(`^ (\S) Image ` + regexp.QuoteMeta(ref) + ` +Downloading +\[(=*>? *|=+)\] +([0-9.]+)MB/([0-9.]+)MB`)
	layerLine := regexp.MustCompile(`^   \S [0-9a-f]{12} +(Downloading|Extracting|Pull complete|Already exists|Download complete|Verifying Checksum|Waiting|Pulling fs layer)`)
	var seen []float64
	layers := false
	var mid string
	for _, s := range screens {
		if mid == "" && strings.Contains(s, "MB/") && strings.Contains(s, "=====>") {
			mid = s
		}
		for _, l := range strings.Split(s, "\n") {
			if m := imageLine.FindStringSubmatch(l); m != nil {
				cur, _ := strconv.ParseFloat(m[3], 64)
				if len(seen) == 0 || cur != seen[len(seen)-1] {
					seen = append(seen, cur)
				}
				if !strings.Contains(spinnerChars, m[1]) {
					t.Errorf("a downloading image line without a spinner: %q", l)
				}
			}
			layers = layers || layerLine.MatchString(l)
		}
	}
	t.Logf("image bytes seen (MB): %v; a frame while downloading:\n%s", seen, mid)
	if len(seen) < 5 {
		t.Errorf("saw %d distinct byte counts on the image line, want at least 5 over a throttled pull; screens:\n%s", len(seen), strings.Join(screens, "\n----\n"))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Errorf("bytes went back: %v", seen)
			break
		}
	}
	if !layers {
		t.Error("no layer line under the image while it was pulled")
	}

	// Final frame: collapsed, done, no spinner.
	if len(frame) != 2 || frame[0] != "[+] Pulling 1/1" || !strings.HasPrefix(frame[1], " ✔ Image "+ref+"  Pulled") {
		t.Errorf("final frame:\n%s", strings.Join(frame, "\n"))
	}
	if strings.ContainsAny(strings.Join(frame, "\n"), spinnerChars) {
		t.Error("spinner left in the final frame")
	}
	if !imagePresent(ref) {
		t.Error("image not pulled")
	}

	// The same pull as JSON events: the image's bytes grow to the layer's
	// size, and layer events name their image.
	docker(t, "rmi", ref)
	r := h.ok("-f", "compose.pull.yaml", "--progress", "json", "pull")
	var cur, total int64
	var images, layerEvents int
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var e struct {
			Version        int
			Object, Name   string
			Parent, Status string
			Current, Total int64
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not a JSON event: %q: %v", l, err)
		}
		switch {
		case e.Object == "Image" && e.Total > 0: // Downloading, then Extracting with all bytes in
			if e.Current < cur {
				t.Errorf("bytes went back from %d to %d", cur, e.Current)
			}
			cur, total = e.Current, e.Total
			images++
		case e.Object == "Layer":
			layerEvents++
			if e.Parent != ref {
				t.Errorf("layer event with parent %q, want %q", e.Parent, ref)
			}
		}
	}
	if images < 5 || layerEvents == 0 || total < size || cur < size {
		t.Errorf("%d image and %d layer events, last %d/%d bytes, want growing to >= %d:\n%s", images, layerEvents, cur, total, size, r.stderr)
	}

	// Plain: one line per phase.
	docker(t, "rmi", ref)
	r = h.ok("-f", "compose.pull.yaml", "--progress", "plain", "pull")
	for _, phase := range []string{"Pulling", "Downloading", "Extracting"} {
		if n := strings.Count(r.stderr, " Image "+ref+"  "+phase+"\n"); n != 1 {
			t.Errorf("%d %s lines, want 1:\n%s", n, phase, r.stderr)
		}
	}
}
