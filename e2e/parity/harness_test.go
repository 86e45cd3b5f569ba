// Package parity holds the end-to-end tests of the compose keys and
// commands of Docker Compose parity (issue #15): each runs the mycompose
// binary against the real engine on a compose file written by the test,
// under a unique project name, and reads the engine's state back through
// the docker CLI. It is its own package so that `go test ./...` runs it
// beside ./cmd/mycompose, with its own time budget.
package parity

import (
	"bytes"
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
)

var binary string

const testImage = "mycompose-test/busybox:latest"

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the Docker engine does not answer (%v): %s\nstart dockerd (.ci/run starts one)\n", err, out)
		return 1
	}
	if err := exec.Command("docker", "image", "inspect", testImage).Run(); err != nil {
		cmd := exec.Command("../../scripts/test-images.sh")
		cmd.Dir = "."
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: building test images: %v\n", err)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "mycompose-parity-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "mycompose")
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/mycompose").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		return 1
	}
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

func (h *harness) cleanup() {
	label := "label=com.docker.compose.project=" + h.project
	if ids := dockerLines(h.t, "ps", "-aq", "--filter", label); len(ids) > 0 {
		exec.Command("docker", append([]string{"rm", "-fv"}, ids...)...).Run()
	}
	if ids := dockerLines(h.t, "network", "ls", "-q", "--filter", label); len(ids) > 0 {
		exec.Command("docker", append([]string{"network", "rm"}, ids...)...).Run()
	}
	if ids := dockerLines(h.t, "volume", "ls", "-q", "--filter", label); len(ids) > 0 {
		exec.Command("docker", append([]string{"volume", "rm", "-f"}, ids...)...).Run()
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	cmd := exec.Command(binary, append([]string{"-p", h.project}, args...)...)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), h.env...)
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

func (h *harness) ok(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("mycompose %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (h *harness) fails(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code == 0 {
		h.t.Fatalf("mycompose %s: exit 0, want failure\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		h.t.Fatalf("mycompose %s printed a stack trace:\n%s", strings.Join(args, " "), r.stderr)
	}
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
