package main

// End-to-end tests of pulling and pushing against real registries: the
// reference registry (CNCF Distribution) run in the test process on a
// loopback port by internal/testregistry, one or more per test. The engine
// treats 127.0.0.0/8 registries as insecure (plain HTTP) by default, and
// sends basic-auth credentials to them without TLS, so no certificate is
// needed. Nothing leaves the machine.

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mycompose/mycompose/internal/testregistry"
)

// startRegistry starts a registry in the test process (auth
// "user:password" protects it) and, at cleanup, stops it and removes the
// images tagged under it.
func startRegistry(t *testing.T, auth string) string {
	t.Helper()
	user, password, _ := strings.Cut(auth, ":")
	reg := testregistry.Start(t, testregistry.Options{User: user, Password: password}).Addr
	t.Cleanup(func() { removeImages(t, reg) })
	return reg
}

// built lists the IDs of the images each test built, for cleanup.
var built sync.Map // *testing.T -> *[]string

// removeImages removes the images tagged under the registry reg and those
// the test built (registered first, this cleanup runs after the harness's).
func removeImages(t *testing.T, reg string) {
	var ids []string
	for _, line := range dockerLines(t, "images", "--format", "{{.Repository}} {{.ID}}") {
		if repo, id, ok := strings.Cut(line, " "); ok && strings.HasPrefix(repo, reg+"/") {
			ids = append(ids, id)
		}
	}
	if v, ok := built.LoadAndDelete(t); ok {
		ids = append(ids, *v.(*[]string)...)
	}
	if len(ids) > 0 {
		exec.Command("docker", append([]string{"rmi", "-f"}, ids...)...).Run()
	}
}

// buildImage builds an image with a layer of its own under ref and returns
// its ID; the registry's cleanup removes it.
func buildImage(t *testing.T, ref string) string {
	t.Helper()
	dir := t.TempDir()
	salt := make([]byte, 16)
	rand.Read(salt)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+testImage+"\nCOPY unique /unique\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "unique"), []byte(hex.EncodeToString(salt)), 0o644)
	if out, err := exec.Command("docker", "build", "-q", "-t", ref, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build %s: %v\n%s", ref, err, out)
	}
	id := imageID(t, ref)
	v, _ := built.LoadOrStore(t, &[]string{})
	*v.(*[]string) = append(*v.(*[]string), id)
	return id
}

// publish builds a fresh image, pushes it as ref and removes it locally,
// so that mycompose must pull it. It returns the image ID.
func publish(t *testing.T, ref string, dockerArgs ...string) string {
	t.Helper()
	id := buildImage(t, ref)
	docker(t, append(dockerArgs, "push", ref)...)
	docker(t, "rmi", ref)
	return id
}

func imageID(t *testing.T, ref string) string {
	return strings.TrimSpace(docker(t, "image", "inspect", "--format", "{{.Id}}", ref))
}

func imagePresent(ref string) bool {
	return exec.Command("docker", "image", "inspect", ref).Run() == nil
}

// registryHarness is a harness whose environment points at reg, with its
// own cache and Docker config directories.
func registryHarness(t *testing.T, fixture, reg string, extra ...string) *harness {
	h := newHarness(t, fixture)
	h.env = append([]string{"REG=" + reg, "XDG_CACHE_HOME=" + t.TempDir(), "DOCKER_CONFIG=" + t.TempDir()}, extra...)
	return h
}

// nothingCreated asserts the project has no container and no network.
func (h *harness) nothingCreated() {
	h.t.Helper()
	if cs, ns := h.containers(), h.networks(); len(cs) != 0 || len(ns) != 0 {
		h.t.Fatalf("a failed pull left containers %v and networks %v", h.names(), ns)
	}
}

func TestUpPullsMissingImagesOnceInParallel(t *testing.T) {
	reg := startRegistry(t, "")
	shared, other := reg+"/mc/shared:1", reg+"/mc/other:1"
	sharedID, otherID := publish(t, shared), publish(t, other)
	h := registryHarness(t, "pull", reg)

	r := h.ok("up", "-d")
	for _, ref := range []string{shared, other} {
		if n := strings.Count(r.stderr, " Image "+ref+"  Pulling\n"); n != 1 {
			t.Errorf("%s pulled %d times:\n%s", ref, n, r.stderr)
		}
		if !strings.Contains(r.stderr, " Image "+ref+"  Pulled (") {
			t.Errorf("no Pulled line with size and time for %s:\n%s", ref, r.stderr)
		}
	}
	// Both pulls start before either ends.
	firstPulled := strings.Index(r.stderr, "  Pulled")
	if strings.LastIndex(r.stderr, "  Pulling") > firstPulled {
		t.Errorf("pulls ran one after the other:\n%s", r.stderr)
	}
	cs := h.want("a-1 running", "b-1 running", "c-1 running")
	if cs[h.project+"-a-1"].Image != sharedID || cs[h.project+"-c-1"].Image != otherID {
		t.Errorf("containers run other images than were pushed")
	}
	// platform: reached the pull and the create.
	if got := docker(t, "inspect", "--format", "{{.Platform}}", h.project+"-c-1"); strings.TrimSpace(got) != "linux" {
		t.Errorf("container platform %q", got)
	}

	r = h.ok("up", "-d")
	if strings.Contains(r.stderr, "Pulling") {
		t.Errorf("present images pulled again:\n%s", r.stderr)
	}
	r = h.ok("--dry-run", "up", "-d", "--pull", "always")
	if !strings.Contains(r.stdout, "pull image "+other+" (policy always)") {
		t.Errorf("dry run does not show the pull:\n%s", r.stdout)
	}
	h.fails(`invalid --pull "sometimes"`, "up", "-d", "--pull", "sometimes")
}

func TestUpPullFailures(t *testing.T) {
	reg := startRegistry(t, "")
	h := registryHarness(t, "pullpolicy", reg)

	r := h.fails(`service "never": image "`+reg+`/mc/never:1" is not present on the engine and its pull_policy is never`,
		"--profile", "never", "up", "-d", "never")
	if strings.Contains(r.stderr, "Pulling") {
		t.Errorf("pull_policy never pulled:\n%s", r.stderr)
	}
	h.nothingCreated()

	h.fails(`pull "`+reg+`/mc/app:1": not found in registry "`+reg+`"`, "up", "-d")
	h.nothingCreated()
	h.fails(`service "app": image "`+reg+`/mc/app:1" is not present on the engine: pull it`, "up", "-d", "--pull", "never")
	h.nothingCreated()

	// Some pulls fail: those services fail alone, each named with its pull
	// error; the one whose image was pulled comes up.
	publish(t, reg+"/mc/app:1")
	r = h.fails(`failed: absent, unreachable; the rest is up`, "--profile", "failures", "up", "-d")
	for _, want := range []string{`service "unreachable": image "127.0.0.1:1/mc/app:1" could not be pulled`,
		`service "absent": image "` + reg + `/mc/absent:1" could not be pulled: pull "` + reg + `/mc/absent:1": not found in registry "` + reg + `"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("failed pull not named: no %q in\n%s", want, r.stderr)
		}
	}
	h.want("app-1 running")
}

func TestUpPullAlwaysRefreshesRetaggedImage(t *testing.T) {
	reg := startRegistry(t, "")
	ref := reg + "/mc/app:1"
	v1 := publish(t, ref)
	h := registryHarness(t, "pullpolicy", reg)
	h.ok("up", "-d", "--quiet-pull")
	before := h.want("app-1 running")[h.project+"-app-1"]
	if before.Image != v1 {
		t.Fatalf("runs %s, want %s", before.Image, v1)
	}

	// A new image under the same tag in the registry; locally the tag stays v1.
	v2 := buildImage(t, ref)
	docker(t, "push", ref)
	docker(t, "tag", v1, ref)
	docker(t, "rmi", v2)

	r := h.ok("up", "-d")
	if strings.Contains(r.stderr, "Pulling") || h.want("app-1 running")[h.project+"-app-1"].ID != before.ID {
		t.Fatalf("pull_policy missing pulled or recreated:\n%s", r.stderr)
	}
	r = h.ok("up", "-d", "--pull", "always")
	after := h.want("app-1 running")[h.project+"-app-1"]
	if !strings.Contains(r.stderr, "Image "+ref+"  Pulled") || after.ID == before.ID || after.Image != v2 {
		t.Fatalf("--pull always: container %s image %s, want a new container on %s:\n%s", after.ID, after.Image, v2, r.stderr)
	}

	// daily: pulled a moment ago, so no pull; pulled two days ago, a pull.
	h.env = append(h.env, "APP_POLICY=daily")
	if r = h.ok("up", "-d"); strings.Contains(r.stderr, "Pulling") {
		t.Errorf("daily pulled an image pulled a moment ago:\n%s", r.stderr)
	}
	logPath := filepath.Join(strings.TrimPrefix(h.env[1], "XDG_CACHE_HOME="), "mycompose", "pulls.json")
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("pull times not recorded: %v", err)
	}
	var log struct {
		Engines map[string]map[string]struct {
			ID string
			At time.Time
		}
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	for endpoint, refs := range log.Engines {
		e := refs[ref]
		if e.ID != v2 {
			t.Fatalf("pull log of %s: %s is %+v, want ID %s", endpoint, ref, e, v2)
		}
		e.At = e.At.Add(-48 * time.Hour)
		refs[ref] = e
	}
	data, _ = json.Marshal(log)
	os.WriteFile(logPath, data, 0o644)
	r = h.ok("up", "-d")
	if !strings.Contains(r.stderr, "Image "+ref+"  Pulled") {
		t.Errorf("daily did not pull an image pulled two days ago:\n%s", r.stderr)
	}
	if h.want("app-1 running")[h.project+"-app-1"].ID != after.ID {
		t.Errorf("an unchanged pull recreated the container")
	}
}

func TestPullCommand(t *testing.T) {
	reg := startRegistry(t, "")
	ref := reg + "/mc/app:1"
	publish(t, ref)
	h := registryHarness(t, "pullpolicy", reg)

	r := h.ok("pull", "-q")
	if r.stdout != "" || r.stderr != "" || !imagePresent(ref) {
		t.Fatalf("pull -q: stdout %q stderr %q, present %v", r.stdout, r.stderr, imagePresent(ref))
	}
	r = h.ok("pull", "--policy", "missing", "app")
	if !strings.Contains(r.stderr, " Image "+ref+"  Skipped (already present)") {
		t.Errorf("pull --policy missing:\n%s", r.stderr)
	}
	// platform: reaches the create (this engine does not check it on pull).
	h.fails(`wanted linux/arm64`, "--profile", "arm", "up", "-d", "arm")
	h.fails(`pull "`+reg+`/mc/absent:1": not found in registry "`+reg+`": no such repository or tag`, "--profile", "failures", "pull", "absent")
	h.fails(`pull "127.0.0.1:1/mc/app:1": registry "127.0.0.1:1" is unreachable`, "--profile", "failures", "pull", "unreachable")

	docker(t, "rmi", ref)
	r = h.ok("--profile", "failures", "pull", "--ignore-pull-failures")
	for _, want := range []string{" Image " + ref + "  Pulled", " Image " + reg + "/mc/absent:1  Warning (", " Image 127.0.0.1:1/mc/app:1  Warning ("} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("pull --ignore-pull-failures lacks %q:\n%s", want, r.stderr)
		}
	}
	if !imagePresent(ref) {
		t.Errorf("the pullable image was not pulled")
	}
}

func TestPushCommand(t *testing.T) {
	reg := startRegistry(t, "")
	ref := reg + "/mc/app:1"
	id := buildImage(t, ref)
	h := registryHarness(t, "pullpolicy", reg)

	r := h.ok("push", "app")
	if !strings.Contains(r.stderr, " Image "+ref+"  Pushed (sha256:") {
		t.Fatalf("push output:\n%s", r.stderr)
	}
	req, _ := http.NewRequest("GET", "http://"+reg+"/v2/mc/app/manifests/1", nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("manifest after push: %v %v", resp, err)
	}
	resp.Body.Close()
	docker(t, "rmi", ref)
	h.ok("pull", "-q", "app")
	if got := imageID(t, ref); got != id {
		t.Errorf("pulled back %s, pushed %s", got, id)
	}

	h.fails(`push "`+reg+`/mc/absent:1": image is not present on the engine`, "--profile", "failures", "push", "absent")
	r = h.ok("--profile", "failures", "push", "--ignore-push-failures")
	if !strings.Contains(r.stderr, " Image "+reg+"/mc/absent:1  Warning (") || !strings.Contains(r.stderr, " Image "+ref+"  Pushed") {
		t.Errorf("push --ignore-push-failures:\n%s", r.stderr)
	}
}

func TestPullFromAuthenticatedRegistry(t *testing.T) {
	reg := startRegistry(t, "alice:s3cret")
	ref := reg + "/mc/app:1"
	creds := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	os.WriteFile(filepath.Join(creds, "config.json"), []byte(fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg, auth)), 0o600)
	publish(t, ref, "--config", creds)

	h := registryHarness(t, "pullpolicy", reg)
	h.fails(`pull "`+ref+`": registry "`+reg+`" requires authentication and no credentials were found for it: run `+"`docker login "+reg+"`", "up", "-d")
	h.nothingCreated()

	h.env = append(h.env, "DOCKER_CONFIG="+creds)
	h.ok("up", "-d")
	h.want("app-1 running")
	h.ok("down")
	docker(t, "rmi", ref)

	// A credential helper, as configured by credHelpers, answers instead.
	bin, helperCfg := t.TempDir(), t.TempDir()
	helper := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}'\n")
	os.WriteFile(filepath.Join(bin, "docker-credential-mctest"), []byte(helper), 0o755)
	os.WriteFile(filepath.Join(helperCfg, "config.json"), []byte(fmt.Sprintf(`{"credHelpers": {%q: "mctest"}}`, reg)), 0o600)
	h.env = append(h.env, "DOCKER_CONFIG="+helperCfg, "PATH="+bin+":"+os.Getenv("PATH"))
	r := h.ok("pull", "app")
	if !strings.Contains(r.stderr, "Image "+ref+"  Pulled") || !imagePresent(ref) {
		t.Errorf("pull through a credential helper:\n%s", r.stderr)
	}
}

// TestBuildArgPushWithDependencies: build --build-arg reaches the
// Dockerfile, --with-dependencies builds what the named service depends
// on, and --push puts every image built in the registry.
func TestBuildArgPushWithDependencies(t *testing.T) {
	reg := startRegistry(t, "")
	h := registryHarness(t, "buildpush", reg)
	app, base := reg+"/mc/buildpush-app:1", reg+"/mc/buildpush-base:1"
	h.ok("build", "--build-arg", "MSG=from-the-flag", "--with-dependencies", "--push", "app")
	for _, ref := range []string{app, base} {
		req, _ := http.NewRequest("GET", "http://"+reg+"/v2/"+strings.TrimPrefix(strings.SplitN(ref, ":1", 2)[0], reg+"/")+"/manifests/1", nil)
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s not in the registry after build --push: %v %v", ref, resp, err)
		}
		resp.Body.Close()
	}
	out, err := exec.Command("docker", "run", "--rm", app, "cat", "/msg").Output()
	if err != nil || strings.TrimSpace(string(out)) != "from-the-flag" {
		t.Fatalf("/msg in the built image = %q (%v), want the --build-arg value", out, err)
	}
	h.fails(`invalid --build-arg "=x"`, "build", "--build-arg", "=x")
}
