package dockerengine

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/internal/testregistry"
	"github.com/mycompose/mycompose/project"
)

// startRegistry starts a reference registry in the test process on a
// loopback port (auth "user:password" protects it) and stops it at cleanup.
func startRegistry(t *testing.T, auth string) string {
	t.Helper()
	user, password, _ := strings.Cut(auth, ":")
	return testregistry.Start(t, testregistry.Options{User: user, Password: password}).Addr
}

// buildUnique builds an image with a layer of its own (so that removing it
// removes content a pull must fetch again) and tags it ref.
func buildUnique(t *testing.T, clean *cleaner, ref string) {
	t.Helper()
	ctxDir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(ctxDir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Dockerfile", "FROM "+imageLatest+"\nCOPY unique /unique\n")
	write("unique", ref+" "+randomHex(16)+"\n")
	clean.image(ref)
	if out, err := exec.Command("docker", "build", "-q", "-t", ref, ctxDir).CombinedOutput(); err != nil {
		t.Fatalf("docker build %s: %v\n%s", ref, err, out)
	}
}

// dockerConfig writes a Docker CLI config dir whose auths hold user:password
// for reg, and points DOCKER_CONFIG at it for the test.
func dockerConfig(t *testing.T, reg, userPass string) {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg, base64.StdEncoding.EncodeToString([]byte(userPass)))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
}

func TestPushThenPull(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	reg := startRegistry(t, "")
	ref := reg + "/mc/app:1"
	buildUnique(t, clean, ref)
	want, err := e.InspectImage(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var pushEvents []string
	digest, err := e.PushImage(ctx, ref, func(ev convergence.PullEvent) { pushEvents = append(pushEvents, ev.Status) })
	if err != nil {
		t.Fatalf("PushImage: %v", err)
	}
	if !strings.HasPrefix(digest, "sha256:") || !strings.Contains(strings.Join(pushEvents, ","), "Pushed") {
		t.Errorf("push: digest %q, events %v", digest, pushEvents)
	}
	if err := e.RemoveImage(ctx, ref); err != nil {
		t.Fatal(err)
	}
	var layers []convergence.PullEvent
	img, err := e.PullImage(ctx, ref, "linux/amd64", func(ev convergence.PullEvent) {
		if ev.Layer != "" {
			layers = append(layers, ev)
		}
	})
	if err != nil {
		t.Fatalf("PullImage: %v", err)
	}
	if img.ID != want.ID || img.Digest != digest || img.Size != want.Size {
		t.Errorf("pulled %+v, want ID %s digest %s size %d", img, want.ID, digest, want.Size)
	}
	complete := false
	for _, ev := range layers {
		complete = complete || ev.Status == "Pull complete"
	}
	if !complete {
		t.Errorf("no per-layer Pull complete event: %+v", layers)
	}

	// The platform reaches create too.
	name := uniqueName(t, "")
	clean.container(name)
	id, err := e.CreateContainer(ctx, convergence.CreateSpec{Name: name, Spec: project.ContainerSpec{Image: ref, Platform: "linux/amd64"}})
	if err != nil {
		t.Fatalf("create with platform: %v", err)
	}
	if info := inspectContainer(t, e, id); info.Platform != "linux" {
		t.Errorf("container platform %q", info.Platform)
	}
	_, err = e.CreateContainer(ctx, convergence.CreateSpec{Name: name + "-arm", Spec: project.ContainerSpec{Image: ref, Platform: "linux/arm64"}})
	clean.container(name + "-arm")
	if err == nil || !strings.Contains(err.Error(), "arm64") {
		t.Errorf("create with a platform the image lacks: %v, want an error naming it", err)
	}
}

func TestPullFailures(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	e, ctx := newEngine(t), testCtx(t)
	reg := startRegistry(t, "")
	denying, _ := refusingRegistry(t, http.StatusForbidden)
	failing, requests := refusingRegistry(t, http.StatusServiceUnavailable)
	cases := []struct{ ref, want string }{
		{reg + "/mc/absent:1", `pull "` + reg + `/mc/absent:1": not found in registry "` + reg + `": no such repository or tag`},
		{reg + "/mc/absent@sha256:" + strings.Repeat("0", 64), `not found in registry "` + reg + `"`},
		{"127.0.0.1:1/mc/app:1", `pull "127.0.0.1:1/mc/app:1": registry "127.0.0.1:1" is unreachable:`},
		{denying + "/mc/app:1", `pull "` + denying + `/mc/app:1": registry "` + denying + `" denied access: `},
		{denying + "/mc/app:1", `denied: the test registry refuses everything`},
		{failing + "/mc/app:1", `pull "` + failing + `/mc/app:1": registry "` + failing + `" refused: `},
		{failing + "/mc/app:1", `503 Service Unavailable`},
		{"Invalid//Ref", `pull "Invalid//Ref": invalid image reference`},
	}
	for _, c := range cases {
		_, err := e.PullImage(ctx, c.ref, "", nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("pull %s:\n got %v\nwant one line containing %q", c.ref, err, c.want)
		}
	}
	// Two pulls from the failing registry: no retry storm.
	if n := requests.Load(); n > 8 {
		t.Errorf("the failing registry got %d requests for two pulls", n)
	}
	if _, err := e.PushImage(ctx, reg+"/mc/notlocal:1", nil); err == nil || !strings.Contains(err.Error(), "image is not present on the engine") {
		t.Errorf("push of a missing image: %v", err)
	}
}

// refusingRegistry is a loopback HTTP server that answers every registry
// request but the version check with status and a registry error body.
func refusingRegistry(t *testing.T, status int) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	requests := &atomic.Int64{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		if r.URL.Path == "/v2/" {
			w.Write([]byte("{}"))
			return
		}
		w.WriteHeader(status)
		code := "DENIED"
		if status != http.StatusForbidden {
			code = "UNAVAILABLE"
		}
		w.Write([]byte(`{"errors":[{"code":"` + code + `","message":"the test registry refuses everything"}]}`))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), requests
}

func TestPullWithCredentials(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	reg := startRegistry(t, "alice:s3cret")
	ref := reg + "/mc/private:1"
	buildUnique(t, clean, ref)

	t.Setenv("DOCKER_CONFIG", t.TempDir())
	wantNoAuth := `registry "` + reg + `" requires authentication and no credentials were found for it: run ` + "`docker login " + reg + "`"
	if _, err := e.PushImage(ctx, ref, nil); err == nil || !strings.Contains(err.Error(), wantNoAuth) {
		t.Fatalf("push without credentials: %v, want %q", err, wantNoAuth)
	}

	dockerConfig(t, reg, "alice:wrong")
	if _, err := e.PushImage(ctx, ref, nil); err == nil || !strings.Contains(err.Error(), `registry "`+reg+`" refused the credentials found for it`) {
		t.Fatalf("push with a wrong password: %v", err)
	}

	dockerConfig(t, reg, "alice:s3cret")
	if _, err := e.PushImage(ctx, ref, nil); err != nil {
		t.Fatalf("push with credentials: %v", err)
	}
	if err := e.RemoveImage(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PullImage(ctx, ref, "", nil); err != nil {
		t.Fatalf("pull with credentials: %v", err)
	}
	if err := e.RemoveImage(ctx, ref); err != nil {
		t.Fatal(err)
	}

	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if _, err := e.PullImage(ctx, ref, "", nil); err == nil || !strings.Contains(err.Error(), wantNoAuth) {
		t.Fatalf("pull without credentials: %v, want %q", err, wantNoAuth)
	}
}

func TestParsePlatform(t *testing.T) {
	cases := map[string]string{
		"":               "<nil>",
		"linux/amd64":    "linux/amd64/",
		"linux/arm64/v8": "linux/arm64/v8",
		"Linux/ARM64":    "linux/arm64/",
		"amd64":          "linux/amd64/",
		"windows/amd64":  "windows/amd64/",
	}
	for in, want := range cases {
		got := "<nil>"
		if p := parsePlatform(in); p != nil {
			got = p.OS + "/" + p.Architecture + "/" + p.Variant
		}
		if got != want {
			t.Errorf("parsePlatform(%q) = %s, want %s", in, got, want)
		}
	}
}
