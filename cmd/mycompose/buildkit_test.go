package main

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/agent"
)

// uniqueID is a random suffix for names that outlive a project on the
// engine (cache mount ids, extra tags).
func uniqueID(t *testing.T) string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// imageFile reads path from a throwaway container of image.
func imageFile(t *testing.T, image, path string) string {
	t.Helper()
	return strings.TrimSpace(docker(t, "run", "--rm", "--entrypoint", "cat", image, path))
}

// TestBuildKitCacheMountSecretsAndTags builds through the engine's
// BuildKit: a RUN --mount=type=cache sees in a second build (a changed
// step) the file the first build left; build secrets from a file and from
// the environment reach RUN --mount=type=secret and are in neither the
// image's history nor any of its layers; build.tags name the same image.
func TestBuildKitCacheMountSecretsAndTags(t *testing.T) {
	h := newHarness(t, "buildkit")
	p := h.project
	id := uniqueID(t)
	extraTag := "mycompose-e2e-tag-" + id + ":extra"
	h.env = []string{"CACHE_ID=mycompose-e2e-" + id, "EXTRA_TAG=" + extraTag, "STAMP=1", "BUILD_TOKEN=s3cr3t-from-env-0815"}
	t.Cleanup(func() { runDocker("rmi", "-f", p+"-cached", p+"-secret", extraTag) })

	r := h.ok("--progress", "plain", "build")
	if !strings.Contains(r.stderr, "Image "+p+"-cached  Building (buildkit)") {
		t.Errorf("no builder line:\n%s", r.stderr)
	}
	if got := imageFile(t, p+"-cached", "/seen"); got != "stamp-1" {
		t.Errorf("first build saw %q in the cache", got)
	}
	if localImageID(t, extraTag) != localImageID(t, p+"-cached") || localImageID(t, extraTag) == "" {
		t.Error("build.tags did not name the built image")
	}
	first := localImageID(t, p+"-cached")
	t.Cleanup(func() { runDocker("rmi", first) }) // untagged by the rebuild
	h.env[2] = "STAMP=2"
	h.ok("build", "cached")
	if got := imageFile(t, p+"-cached", "/seen"); got != "stamp-1\nstamp-2" {
		t.Errorf("second build saw %q in the cache, want the first build's file too", got)
	}

	secrets := []string{"s3cr3t-from-file-4711", "s3cr3t-from-env-0815"}
	for i, path := range []string{"/token-sum", "/env-sum"} {
		if got, want := imageFile(t, p+"-secret", path), fmt.Sprintf("%x", sha256.Sum256([]byte(secrets[i]))); got != want {
			t.Errorf("%s = %q: the build secret did not reach its RUN step (want %q)", path, got, want)
		}
	}
	history := docker(t, "history", "--no-trunc", p+"-secret")
	for _, s := range secrets {
		if strings.Contains(history, s) {
			t.Errorf("secret %q in the image history", s)
		}
		if strings.Contains(r.stderr, s) {
			t.Errorf("secret %q printed", s)
		}
	}
	checkSavedImageLacks(t, p+"-secret", secrets)
}

// checkSavedImageLacks fails when any file of `docker save image`, layers
// included, contains one of the values.
func checkSavedImageLacks(t *testing.T, image string, values []string) {
	t.Helper()
	out, err := exec.Command("docker", "save", image).Output()
	if err != nil {
		t.Fatalf("docker save: %v", err)
	}
	tr := tar.NewReader(bytes.NewReader(out))
	files := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read saved image: %v", err)
		}
		data, _ := io.ReadAll(tr)
		files++
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("secret %q found in %s of the saved image", v, hdr.Name)
			}
		}
	}
	if files < 3 {
		t.Fatalf("saved image has %d files: not an image", files)
	}
}

// serveAgent serves an in-memory ssh agent holding one key with comment on
// a unix socket in dir, until the test ends.
func serveAgent(t *testing.T, dir, comment string) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key, Comment: comment}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, comment+".sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				agent.ServeAgent(keyring, c)
			}()
		}
	}()
	return sock
}

// TestBuildKitSSHAgents forwards two test agents into RUN
// --mount=type=ssh steps, the default one (SSH_AUTH_SOCK) and one named
// by build.ssh id=path, and checks that each step listed its agent's key.
func TestBuildKitSSHAgents(t *testing.T) {
	h := newHarness(t, "buildkit-ssh")
	p := h.project
	t.Cleanup(func() { runDocker("rmi", "-f", p+"-app") })
	// agentls is built from the module (its fixture copy has no go.mod),
	// statically, to run in the busybox image.
	build := exec.Command("go", "build", "-o", filepath.Join(h.dir, "agentls"), "./testdata/e2e/buildkit-ssh/agentls-src")
	build.Dir = mustAbs(t, filepath.Join("..", ".."))
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build agentls: %v\n%s", err, out)
	}
	sockDir, err := os.MkdirTemp("", "mcssh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	def := serveAgent(t, sockDir, "default-key")
	other := serveAgent(t, sockDir, "other-key")
	h.env = []string{"SSH_AUTH_SOCK=" + def, "OTHER_AGENT=" + other}
	h.ok("build")
	if got := imageFile(t, p+"-app", "/default-keys"); got != "default-key" {
		t.Errorf("default agent listed %q", got)
	}
	if got := imageFile(t, p+"-app", "/other-keys"); got != "other-key" {
		t.Errorf("agent other listed %q", got)
	}
}

func mustAbs(t *testing.T, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestBuildKitServiceContextsParallelAndFailure builds a base image first
// because two services use it as an additional context (service:base),
// then those two at the same time (they meet in a shared cache mount,
// which fails when run one after the other), and shows a failing step
// with its output.
func TestBuildKitServiceContextsParallelAndFailure(t *testing.T) {
	h := newHarness(t, "buildkit-graph")
	p := h.project
	t.Cleanup(func() { runDocker("rmi", "-f", p+"-base", p+"-app1", p+"-app2", p+"-broken") })
	h.env = []string{"RV=mycompose-e2e-rv-" + uniqueID(t)}
	start := time.Now()
	h.ok("build")
	t.Logf("three builds in %v", time.Since(start))
	for _, app := range []string{"app1", "app2"} {
		if got := imageFile(t, p+"-"+app, "/base.txt"); got != "from-base" {
			t.Errorf("%s: base context content %q", app, got)
		}
		if got := imageFile(t, p+"-"+app, "/extra.txt"); got != "from-extra" {
			t.Errorf("%s: directory context content %q", app, got)
		}
	}
	if imageFile(t, p+"-app1", "/met") != "met-app2" || imageFile(t, p+"-app2", "/met") != "met-app1" {
		t.Error("app1 and app2 did not build at the same time")
	}

	r := h.fails("marker-before-failure", "--profile", "broken", "build", "broken")
	for _, want := range []string{`RUN echo "marker-before-failure" && exit 3`, "exit code: 3"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, r.stderr)
		}
	}
	if localImageID(t, p+"-broken") != "" {
		t.Error("a failed build left an image")
	}
}

// TestBuildKitRemoteContext builds from an http:// context, a tar archive
// the engine's builder downloads from a server on loopback.
func TestBuildKitRemoteContext(t *testing.T) {
	h := newHarness(t, "buildkit-remote")
	p := h.project
	t.Cleanup(func() { runDocker("rmi", "-f", p+"-app") })
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	for name, content := range map[string]string{
		"Dockerfile": "FROM mycompose-test/busybox\nCOPY hello.txt /hello.txt\n",
		"hello.txt":  "from-remote-context\n",
	} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
		tw.Write([]byte(content))
	}
	tw.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-tar")
		w.Write(archive.Bytes())
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	h.env = []string{"CTX_URL=http://" + l.Addr().String() + "/ctx.tar"}
	h.ok("build")
	if got := imageFile(t, p+"-app", "/hello.txt"); got != "from-remote-context" {
		t.Errorf("remote context file: %q", got)
	}
}

// TestBuildClassicFallback builds with the classic builder when
// DOCKER_BUILDKIT=0, says so, and refuses a build that needs BuildKit.
func TestBuildClassicFallback(t *testing.T) {
	h := newHarness(t, "build")
	p := h.project
	t.Cleanup(func() { runDocker("rmi", "-f", p+"-app", "mycompose-test/built-tool:1") })
	h.env = []string{"DOCKER_BUILDKIT=0"}
	r := h.ok("--progress", "plain", "build", "app")
	if !strings.Contains(r.stderr, "Image "+p+"-app  Building (classic)") {
		t.Errorf("no classic builder line:\n%s", r.stderr)
	}
	if got := imageFile(t, p+"-app", "/greeting"); got != "hello" {
		t.Errorf("classic build: /greeting = %q", got)
	}

	s := newHarness(t, "buildkit")
	s.env = []string{"DOCKER_BUILDKIT=0", "BUILD_TOKEN=x", "CACHE_ID=x", "EXTRA_TAG=x:1"}
	s.fails("build.secrets needs BuildKit", "build", "secret")
	if localImageID(t, s.project+"-secret") != "" {
		t.Error("a refused build left an image")
	}
}

// TestBuildKitNoCacheFilter: the stages no_cache_filter names are rebuilt
// on every build; the others come from the cache.
func TestBuildKitNoCacheFilter(t *testing.T) {
	h := newHarness(t, "nocachefilter")
	img := h.project + "-app"
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", img).Run() })
	read := func() (stamp, cached string) {
		t.Helper()
		out := docker(t, "run", "--rm", img, "cat", "/stamp", "/cached")
		if len(out) != 64 {
			t.Fatalf("stamp and cached = %q, want two 32-hex values", out)
		}
		return out[:32], out[32:]
	}
	h.ok("build")
	stamp1, cached1 := read()
	h.ok("build")
	stamp2, cached2 := read()
	if stamp1 == stamp2 {
		t.Errorf("the stage in no_cache_filter came from the cache: %s twice", stamp1)
	}
	if cached1 != cached2 {
		t.Errorf("a stage outside no_cache_filter was rebuilt: %s then %s", cached1, cached2)
	}
}

// imageEvents returns the Image events of a --progress json run as
// "status detail" by image name.
func imageEvents(stderr string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(stderr, "\n") {
		var e watchEvent
		if json.Unmarshal([]byte(line), &e) == nil && e.Object == "Image" {
			out[e.Name] = e.Status + " " + e.Detail
		}
	}
	return out
}

// TestBuildSkipsUnchangedInputs runs up --build again and again: with the
// inputs of the build that made the image (context files, Dockerfile,
// args, base image) unchanged the build is skipped and nothing changes on
// the engine; a changed file, a touched file (BuildKit's cache answers with
// the same image), a file .dockerignore leaves out, and a rebuilt base
// image each get what a build would give.
func TestBuildSkipsUnchangedInputs(t *testing.T) {
	h := newHarness(t, "buildskip")
	p := h.project
	base := "mycompose-e2e-base-" + uniqueID(t) + ":1"
	docker(t, "tag", "mycompose-test/busybox:latest", base)
	t.Cleanup(func() { runDocker("rmi", "-f", p+"-app", base) })
	writeFile(t, filepath.Join(h.dir, "Dockerfile"),
		"FROM "+base+"\nARG N\nCOPY app.txt /app.txt\nRUN echo \"$N $(cat /base-marker 2>/dev/null)\" > /built\n")
	h.env = []string{"XDG_CACHE_HOME=" + t.TempDir()} // no records from other runs
	image, container := p+"-app", p+"-app-1"
	upBuild := func() string {
		t.Helper()
		return imageEvents(h.ok("--progress", "json", "up", "-d", "--build").stderr)[image]
	}
	if ev := upBuild(); !strings.HasPrefix(ev, "Built ") || strings.Contains(ev, "unchanged") {
		t.Fatalf("first up --build: image event %q, want a build", ev)
	}
	id0, _ := idStarted(t, container)
	img0 := localImageID(t, image)
	t.Cleanup(func() { runDocker("rmi", img0) }) // untagged by the rebuilds

	if ev := upBuild(); ev != "Built unchanged" {
		t.Errorf("no-change up --build: image event %q, want the build skipped", ev)
	}
	if id, _ := idStarted(t, container); id != id0 || localImageID(t, image) != img0 {
		t.Error("a no-change up --build changed the image or recreated the container")
	}

	writeFile(t, filepath.Join(h.dir, "ignored.txt"), "changed, but .dockerignore leaves it out\n")
	if ev := upBuild(); ev != "Built unchanged" {
		t.Errorf("after a change to a file .dockerignore leaves out: image event %q, want the build skipped", ev)
	}

	now := time.Now()
	if err := os.Chtimes(filepath.Join(h.dir, "app.txt"), now, now); err != nil {
		t.Fatal(err)
	}
	if ev := upBuild(); ev == "Built unchanged" {
		t.Error("after a touch of a context file: the build was skipped, want it run")
	}
	if id, _ := idStarted(t, container); id != id0 || localImageID(t, image) != img0 {
		t.Error("a touched file made another image (BuildKit's cache gives the same one) or recreated the container")
	}

	atomicSave(t, filepath.Join(h.dir, "app.txt"), "two\n")
	if ev := upBuild(); ev == "Built unchanged" {
		t.Error("after an edit: the build was skipped")
	}
	if got := catIn(container, "/app.txt"); got != "two\n" {
		t.Errorf("after an edit, /app.txt = %q, want the new content", got)
	}
	img1 := localImageID(t, image)
	if img1 == img0 {
		t.Error("after an edit, the image is the same")
	}
	t.Cleanup(func() { runDocker("rmi", img1) })

	// A new image under the base tag: the same Dockerfile gives another image.
	bdir := t.TempDir()
	writeFile(t, filepath.Join(bdir, "Dockerfile"), "FROM mycompose-test/busybox:latest\nRUN echo rebased > /base-marker\n")
	docker(t, "build", "-q", "-t", base, bdir)
	if ev := upBuild(); ev == "Built unchanged" {
		t.Error("after the base image changed: the build was skipped")
	}
	if got := catIn(container, "/built"); got != "1 rebased\n" {
		t.Errorf("after the base image changed, /built = %q, want the new base's marker", got)
	}
	if ev := upBuild(); ev != "Built unchanged" {
		t.Errorf("no-change up --build after the rebase: image event %q, want the build skipped", ev)
	}
}
