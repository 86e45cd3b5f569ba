// Package e2etest is what the end-to-end test packages (cmd/mycompose,
// e2e/parity, e2e/faults) share: the setup of their TestMain (the engine answers, the
// test images exist, the binary is built once), running the binary with its
// exit code and output, and removing what a test project left on the
// engine. It reads engine state through the docker CLI, independent of
// mycompose's own engine adapter.
package e2etest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImage is the image the tests' compose files run (scripts/test-images.sh).
const TestImage = "mycompose-test/busybox:latest"

// Setup checks that the engine answers and the test images exist (building
// them with scripts/test-images.sh under root when they do not), then builds
// mycompose from root into a temporary directory. root is the repository's
// root relative to the test package. remove deletes the binary.
func Setup(root string) (binary string, remove func(), err error) {
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("the Docker engine does not answer (%v): %s\nstart dockerd (.ci/run starts one)", err, out)
	}
	if err := exec.Command("docker", "image", "inspect", TestImage).Run(); err != nil {
		cmd := exec.Command(filepath.Join(root, "scripts", "test-images.sh"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", nil, fmt.Errorf("building test images: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "mycompose-e2e-bin")
	if err != nil {
		return "", nil, err
	}
	binary = filepath.Join(dir, "mycompose")
	build := exec.Command("go", "build", "-o", binary, "./cmd/mycompose")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	return binary, func() { os.RemoveAll(dir) }, nil
}

// Result is one run of the binary.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs binary with args in dir, the environment extended by env. Only a
// failure to start it fails the test; the exit code is the caller's.
func Run(t testing.TB, binary, dir string, env []string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run mycompose %v: %v", args, err)
	}
	return Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// MustSucceed fails the test unless r exited 0.
func MustSucceed(t testing.TB, args []string, r Result) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("mycompose %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
}

// MustFail fails the test unless r exited non-zero without a stack trace.
func MustFail(t testing.TB, args []string, r Result) {
	t.Helper()
	if r.Code == 0 {
		t.Fatalf("mycompose %s: exit 0, want failure\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Stdout, r.Stderr)
	}
	if strings.Contains(r.Stderr, "goroutine ") || strings.Contains(r.Stderr, "panic:") {
		t.Fatalf("mycompose %s printed a stack trace:\n%s", strings.Join(args, " "), r.Stderr)
	}
}

// RemoveProject removes every container, network and volume labelled with
// the project, whatever state the test left them in.
func RemoveProject(project string) {
	label := "label=com.docker.compose.project=" + project
	for _, list := range []struct{ ls, rm []string }{
		{[]string{"ps", "-aq"}, []string{"rm", "-fv"}},
		{[]string{"network", "ls", "-q"}, []string{"network", "rm"}},
		{[]string{"volume", "ls", "-q"}, []string{"volume", "rm", "-f"}},
	} {
		out, err := exec.Command("docker", append(list.ls, "--filter", label)...).Output()
		if ids := strings.Fields(string(out)); err == nil && len(ids) > 0 {
			exec.Command("docker", append(list.rm, ids...)...).Run()
		}
	}
}
