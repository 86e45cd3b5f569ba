// Package parity holds the end-to-end tests of the compose keys and
// commands of Docker Compose parity (issue #15): each runs the mycompose
// binary against the real engine on a compose file written by the test,
// under a unique project name, and reads the engine's state back through
// the docker CLI. It is its own package so that `go test ./...` runs it
// beside ./cmd/mycompose, with its own time budget.
package parity

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/internal/dockercli"
	"github.com/mycompose/mycompose/internal/e2etest"
)

var binary string

const testImage = e2etest.TestImage

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

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

// harness is one test's project: a directory with the test's compose
// file, a unique project name and cleanup of everything labelled with it.
type harness struct {
	t       *testing.T
	dir     string
	project string
	env     []string
}

func newHarness(t *testing.T, compose string) *harness {
	t.Helper()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "par-" + strings.ToLower(strings.TrimPrefix(t.Name(), "Test")) + "-" + hex.EncodeToString(suffix)
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, project: name}
	h.write("compose.yaml", compose)
	t.Cleanup(h.cleanup)
	return h
}

func (h *harness) write(name, content string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) cleanup() { e2etest.RemoveProject(h.project) }

type result struct {
	code           int
	stdout, stderr string
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	r := e2etest.Run(h.t, binary, h.dir, h.env, append([]string{"-p", h.project}, args...)...)
	return result{code: r.Code, stdout: r.Stdout, stderr: r.Stderr}
}

func (h *harness) ok(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	e2etest.MustSucceed(h.t, args, e2etest.Result{Code: r.code, Stdout: r.stdout, Stderr: r.stderr})
	return r
}

func (h *harness) fails(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	e2etest.MustFail(h.t, args, e2etest.Result{Code: r.code, Stdout: r.stdout, Stderr: r.stderr})
	return r
}

// ctr is the engine name of replica 1 of service svc.
func (h *harness) ctr(svc string) string { return h.project + "-" + svc + "-1" }

// containers lists the names of the project's containers.
func (h *harness) containers() []string {
	return dockerLines(h.t, "ps", "-a", "--format", "{{.Names}}", "--filter", "label=com.docker.compose.project="+h.project)
}

// inspect decodes `docker inspect --format {{json PATH}} OBJECT`.
func inspect(t *testing.T, object, path string, into any) {
	t.Helper()
	out := docker(t, "inspect", "--format", "{{json "+path+"}}", object)
	if err := json.Unmarshal([]byte(out), into); err != nil {
		t.Fatalf("decode %s of %s: %v: %s", path, object, err, out)
	}
}

func docker(t *testing.T, args ...string) string { t.Helper(); return dockercli.Run(t, args...) }

func dockerLines(t *testing.T, args ...string) []string { return dockercli.Lines(t, args...) }

func engineAPI(t *testing.T) (release, api string) { t.Helper(); return dockercli.EngineAPI(t) }

func execCommand(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }
