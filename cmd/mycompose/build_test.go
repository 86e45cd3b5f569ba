package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// localImageID is the ID of a local image, or "" when it is absent.
func localImageID(t *testing.T, ref string) string {
	t.Helper()
	out, ok := runDocker("image", "inspect", "--format", "{{.Id}}", ref)
	if !ok {
		return ""
	}
	return strings.TrimSpace(out)
}

// TestBuildFromLocalDockerfile builds images named <project>-<service> (or
// image:), honours args, target, labels and .dockerignore, does not rebuild
// a present image, rebuilds and recreates with --build, refuses to build
// with --no-build, and removes built images with down --rmi local.
func TestBuildFromLocalDockerfile(t *testing.T) {
	h := newHarness(t, "build")
	p := h.project
	t.Cleanup(func() { runDocker("rmi", "-f", p+"-app", "mycompose-test/built-tool:1") })
	h.ok("up", "-d")
	cs := h.want("app-1 running", "tool-1 running")
	if got := readFile(t, p+"-app-1", "/greeting"); got != "hello" {
		t.Errorf("build arg: %q", got)
	}
	if got := readFile(t, p+"-app-1", "/ctx/kept.txt"); got != "keep" {
		t.Errorf("context file: %q", got)
	}
	if _, ok := runDocker("exec", p+"-app-1", "test", "-e", "/ctx/secret.txt"); ok {
		t.Error(".dockerignore not honoured: secret.txt is in the image")
	}
	if got := readFile(t, p+"-tool-1", "/stage"); got != "base\nfinal" {
		t.Errorf("inline Dockerfile with target: %q", got)
	}
	label := strings.TrimSpace(docker(t, "image", "inspect", "--format", `{{index .Config.Labels "org.example.built-by"}}`, p+"-app"))
	if label != "mycompose" {
		t.Errorf("build label = %q", label)
	}
	appImage := localImageID(t, p+"-app")

	// Present: a second up builds nothing and changes nothing.
	if r := h.ok("up", "-d"); strings.Contains(r.stderr, "Building") {
		t.Errorf("second up rebuilt:\n%s", r.stderr)
	}
	if localImageID(t, p+"-app") != appImage {
		t.Error("image rebuilt by a plain up")
	}

	// A changed Dockerfile with --build: new image, container recreated.
	df := filepath.Join(h.dir, "Dockerfile")
	data, _ := os.ReadFile(df)
	os.WriteFile(df, append(data, []byte("RUN echo v2 > /version\n")...), 0o644)
	h.ok("up", "-d", "--build")
	after := h.want("app-1 running", "tool-1 running")
	if localImageID(t, p+"-app") == appImage || after[p+"-app-1"].ID == cs[p+"-app-1"].ID {
		t.Error("up --build did not rebuild and recreate app")
	}
	if got := readFile(t, p+"-app-1", "/version"); got != "v2" {
		t.Errorf("rebuilt image content: %q", got)
	}

	// The build command rebuilds on demand; GREETING goes through args.
	h.env = []string{"GREETING=bonjour"}
	h.ok("build", "app")
	h.env = nil

	// --no-build with the image gone fails and builds nothing.
	h.ok("down")
	docker(t, "rmi", p+"-app")
	h.fails("has not been built", "up", "-d", "--no-build")
	if localImageID(t, p+"-app") != "" {
		t.Error("--no-build built the image")
	}
	h.ok("up", "-d")
	h.ok("down", "--rmi", "local")
	if localImageID(t, p+"-app") != "" {
		t.Error("down --rmi local kept the built image")
	}
	if localImageID(t, "mycompose-test/built-tool:1") == "" {
		t.Error("down --rmi local removed an image named by image:")
	}
}
