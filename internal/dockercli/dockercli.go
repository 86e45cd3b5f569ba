// Package dockercli is the end-to-end tests' view of the engine: the
// docker CLI, independent of mycompose's own engine adapter, so that tests
// read back what mycompose did through another client.
package dockercli

import (
	"os/exec"
	"strings"
	"testing"
)

// Run runs the docker CLI and returns its stdout; a failure fails the
// test with the CLI's stderr.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// Lines runs the docker CLI and returns its non-empty output lines; a
// failure is logged and gives none (cleanups use it).
func Lines(t testing.TB, args ...string) []string {
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		t.Logf("docker %s: %v", strings.Join(args, " "), err)
		return nil
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// EngineAPI returns the engine's release and the API version the docker
// CLI (and mycompose, which negotiates the same way) uses with it.
func EngineAPI(t testing.TB) (release, api string) {
	t.Helper()
	f := strings.Fields(Run(t, "version", "--format", "{{.Server.Version}} {{.Client.APIVersion}}"))
	if len(f) != 2 {
		t.Fatalf("docker version: %q", f)
	}
	return f[0], f[1]
}
