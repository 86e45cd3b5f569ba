package main

// End-to-end harness: builds the mycompose binary once, runs it against the
// real engine in a copy of a fixture directory under a unique project name,
// and reads engine state back through the docker CLI (independent of our
// own engine adapter), cleaning up even when a test fails.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/internal/dockercli"
	"github.com/mycompose/mycompose/internal/e2etest"
)

var binary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	bin, remove, err := e2etest.Setup("../..")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer remove()
	binary = bin
	return m.Run()
}

const testImage = e2etest.TestImage

// harness is one test's project: a fixture copied into a temp dir, a unique
// project name, and cleanup of everything labelled with it.
type harness struct {
	t       *testing.T
	dir     string
	project string
	env     []string
}

// newHarness copies testdata/e2e/<fixture> into a fresh directory and picks a
// unique project name.
func newHarness(t *testing.T, fixture string) *harness {
	t.Helper()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "e2e-" + strings.ToLower(strings.ReplaceAll(fixture, "_", "-")) + "-" + hex.EncodeToString(suffix)
	dir := filepath.Join(t.TempDir(), name)
	src := filepath.Join("..", "..", "testdata", "e2e", fixture)
	if err := copyTree(src, dir); err != nil {
		t.Fatalf("copy fixture %s: %v", fixture, err)
	}
	h := &harness{t: t, dir: dir, project: name}
	t.Cleanup(h.cleanup)
	return h
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// cleanup removes every container, network and volume of the project.
func (h *harness) cleanup() {
	e2etest.RemoveProject(h.project)
	// Secrets and configs the removed containers had (see convergence/hostfiles).
	os.RemoveAll(filepath.Join(secretsBase(), h.project))
}

// secretsBase is where mycompose keeps the secrets of this user's
// containers on the host (convergence/hostfiles.New).
func secretsBase() string {
	if rt := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
		if _, err := os.Stat(filepath.Join(rt, "mycompose-files")); err == nil {
			return filepath.Join(rt, "mycompose-files")
		}
	}
	return fmt.Sprintf("/dev/shm/mycompose-files-%d", os.Geteuid())
}

// result is one mycompose run.
type result struct {
	code   int
	stdout string
	stderr string
}

// run runs mycompose in the project directory with -p and the harness env.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	return h.runIn(h.dir, append([]string{"-p", h.project}, args...)...)
}

// runIn runs mycompose in dir with exactly the given arguments.
func (h *harness) runIn(dir string, args ...string) result {
	h.t.Helper()
	r := e2etest.Run(h.t, binary, dir, h.env, args...)
	return result{code: r.Code, stdout: r.Stdout, stderr: r.Stderr}
}

// ok runs mycompose and fails the test unless it exits 0.
func (h *harness) ok(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	e2etest.MustSucceed(h.t, args, r.raw())
	return r
}

// fails runs mycompose and fails the test unless it exits non-zero with a
// message containing want.
func (h *harness) fails(want string, args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	e2etest.MustFail(h.t, args, r.raw())
	if !strings.Contains(r.stderr, want) {
		h.t.Fatalf("mycompose %s: stderr does not contain %q:\n%s", strings.Join(args, " "), want, r.stderr)
	}
	return r
}

func (r result) raw() e2etest.Result {
	return e2etest.Result{Code: r.code, Stdout: r.stdout, Stderr: r.stderr}
}

// engineContainer is what the tests read back from `docker inspect`.
type engineContainer struct {
	ID     string
	Name   string
	Image  string
	Labels map[string]string
	State  struct {
		Status    string
		StartedAt string
	}
	Networks map[string]struct{ Aliases []string }
	Mounts   []struct{ Type, Name, Source, Destination string }
	Ports    map[string][]struct{ HostIP, HostPort string }
}

// containers returns the project's containers by name.
func (h *harness) containers() map[string]engineContainer {
	h.t.Helper()
	ids := dockerLines(h.t, "ps", "-aq", "--filter", "label=com.docker.compose.project="+h.project)
	out := map[string]engineContainer{}
	if len(ids) == 0 {
		return out
	}
	raw := docker(h.t, append([]string{"inspect", "--format",
		`{"ID":{{json .Id}},"Name":{{json .Name}},"Image":{{json .Image}},"Labels":{{json .Config.Labels}},"State":{{json .State}},"Networks":{{json .NetworkSettings.Networks}},"Mounts":{{json .Mounts}},"Ports":{{json .NetworkSettings.Ports}}}`}, ids...)...)
	for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
		var c engineContainer
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			h.t.Fatalf("decode inspect: %v: %s", err, line)
		}
		c.Name = strings.TrimPrefix(c.Name, "/")
		out[c.Name] = c
	}
	return out
}

// names returns "name state" for every container of the project, sorted.
func (h *harness) names() []string {
	var out []string
	for n, c := range h.containers() {
		out = append(out, n+" "+c.State.Status)
	}
	sort.Strings(out)
	return out
}

// want asserts the project's containers and their states.
func (h *harness) want(names ...string) map[string]engineContainer {
	h.t.Helper()
	cs := h.containers()
	var got []string
	for n, c := range cs {
		got = append(got, n+" "+c.State.Status)
	}
	sort.Strings(got)
	want := make([]string, len(names))
	for i, n := range names {
		want[i] = h.project + "-" + n
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Fatalf("containers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	return cs
}

// networks returns the names of the project's networks, sorted.
func (h *harness) networks() []string {
	return sortedLines(dockerLines(h.t, "network", "ls", "--format", "{{.Name}}", "--filter", "label=com.docker.compose.project="+h.project))
}

// volumes returns the names of the project's volumes, sorted.
func (h *harness) volumes() []string {
	return sortedLines(dockerLines(h.t, "volume", "ls", "--format", "{{.Name}}", "--filter", "label=com.docker.compose.project="+h.project))
}

func sortedLines(l []string) []string { sort.Strings(l); return l }

// docker runs the docker CLI and returns stdout; failure fails the test.
func docker(t *testing.T, args ...string) string { t.Helper(); return dockercli.Run(t, args...) }

func dockerLines(t *testing.T, args ...string) []string { return dockercli.Lines(t, args...) }

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
