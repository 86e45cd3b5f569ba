package parity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mycompose/mycompose/internal/registry"
	"github.com/mycompose/mycompose/internal/testregistry"
)

// pushTestImage pushes the test image to reg under name through the
// engine and returns the reference; the image is untagged at cleanup.
func pushTestImage(t *testing.T, reg, name string) string {
	t.Helper()
	ref := reg + "/" + name
	docker(t, "tag", testImage, ref)
	t.Cleanup(func() { exec.Command("docker", "rmi", ref).Run() })
	if out, err := exec.Command("docker", "push", ref).CombinedOutput(); err != nil {
		t.Fatalf("docker push %s: %v\n%s", ref, err, out)
	}
	return ref
}

// fetchArtifact reads a published artifact back from the registry.
func fetchArtifact(t *testing.T, ref, user, password string) (v1.Manifest, map[string]string) {
	t.Helper()
	named, err := reference.ParseDockerRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	c := &registry.Client{Credentials: func(string) (string, string, error) { return user, password, nil }}
	repo := c.Repository(named)
	ctx := context.Background()
	_, body, err := repo.Manifest(ctx, named.(reference.Tagged).Tag())
	if err != nil {
		t.Fatalf("get the manifest of %s: %v", ref, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, l := range m.Layers {
		data, err := repo.Blob(ctx, l.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if digest.FromBytes(data) != l.Digest {
			t.Errorf("layer %s: content does not match its digest", l.Digest)
		}
		files[l.MediaType+" "+l.Annotations["com.docker.compose.file"]+l.Annotations["com.docker.compose.envfile"]] = string(data)
	}
	return m, files
}

// TestPublish: publish pushes the compose files as Docker Compose's OCI
// artifact (OCI 1.1: artifact type, empty config, one layer per file
// annotated with its name) to a registry that asks for credentials, which
// come from the Docker CLI's configuration; environment variables are
// refused without --with-env, and with it the env files travel as layers
// that the compose file names; --resolve-image-digests adds an override
// pinning each image.
func TestPublish(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{User: "pub", Password: "s3cret"}).Addr
	h := newHarness(t, "services:\n  app:\n    image: ${IMG}\n    command: "+sleeper+"\n")
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("pub:s3cret"))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg, auth)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The engine pushes the image with the same configuration.
	t.Setenv("DOCKER_CONFIG", cfg)
	img := pushTestImage(t, reg, "par/busybox:1")
	h.env = []string{"DOCKER_CONFIG=" + cfg, "IMG=" + img}

	target := reg + "/par/app:v1"
	r := h.ok("publish", target)
	if !strings.Contains(r.stderr, "Published "+target+"@sha256:") {
		t.Errorf("publish said:\n%s", r.stderr)
	}
	m, files := fetchArtifact(t, target, "pub", "s3cret")
	if m.ArtifactType != "application/vnd.docker.compose.project" || m.Config.MediaType != v1.MediaTypeEmptyJSON {
		t.Errorf("manifest artifact type %q, config %q", m.ArtifactType, m.Config.MediaType)
	}
	src, _ := os.ReadFile(filepath.Join(h.dir, "compose.yaml"))
	if got := files["application/vnd.docker.compose.file+yaml compose.yaml"]; got != string(src) || len(files) != 1 {
		t.Errorf("layers %v, want compose.yaml as it is", files)
	}

	// OCI 1.0: no artifact type; the config's media type says what it is.
	h.ok("publish", "--oci-version", "1.0", reg+"/par/app:v1-oci10")
	if m, _ := fetchArtifact(t, reg+"/par/app:v1-oci10", "pub", "s3cret"); m.ArtifactType != "" || m.Config.MediaType != "application/vnd.docker.compose.config.empty.v1+json" {
		t.Errorf("OCI 1.0 manifest: artifact type %q, config %q", m.ArtifactType, m.Config.MediaType)
	}

	// Environment: refused without --with-env, published with it.
	h.write("app.env", "TOKEN=abc\n")
	h.write("compose.yaml", "services:\n  app:\n    image: ${IMG}\n    env_file: app.env\n")
	r = h.fails("publish", reg+"/par/app:v2")
	if !strings.Contains(r.stderr, `service "app" has env_file declared.`) || !strings.Contains(r.stderr, "--with-env") {
		t.Errorf("publish with env_file:\n%s", r.stderr)
	}
	h.ok("publish", "--with-env", "-y", "--resolve-image-digests", reg+"/par/app:v2")
	_, files = fetchArtifact(t, reg+"/par/app:v2", "pub", "s3cret")
	envName := fmt.Sprintf("%x.env", sha256Path(filepath.Join(h.dir, "app.env")))
	if files["application/vnd.docker.compose.envfile "+envName] != "TOKEN=abc\n" {
		t.Errorf("env file layer %s missing: %v", envName, files)
	}
	if c := files["application/vnd.docker.compose.file+yaml compose.yaml"]; !strings.Contains(c, "env_file: "+envName) {
		t.Errorf("the published compose file does not name the env file's layer:\n%s", c)
	}
	pinned := docker(t, "inspect", "--format", "{{index .RepoDigests 0}}", img)
	if o := files["application/vnd.docker.compose.file+yaml image-digests.yaml"]; !strings.Contains(o, "@"+strings.SplitN(strings.TrimSpace(pinned), "@", 2)[1]) {
		t.Errorf("image-digests.yaml:\n%s\nwant the digest of %s", o, pinned)
	}

	// Wrong credentials: the registry's refusal, nothing published.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "config.json"), []byte(fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg, base64.StdEncoding.EncodeToString([]byte("pub:wrong")))), 0o600)
	h.env = []string{"DOCKER_CONFIG=" + bad, "IMG=" + img}
	h.write("compose.yaml", "services:\n  app:\n    image: ${IMG}\n")
	r = h.fails("publish", reg+"/par/app:v3")
	if !strings.Contains(r.stderr, fmt.Sprint(http.StatusUnauthorized)) {
		t.Errorf("publish with wrong credentials:\n%s", r.stderr)
	}
}

// TestConfigImageDigests: config --resolve-image-digests pins the images
// in the rendered project; --lock-image-digests prints only the pinned
// images, an override file.
func TestConfigImageDigests(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{}).Addr
	img := pushTestImage(t, reg, "par/lock:1")
	h := newHarness(t, "services:\n  app:\n    image: "+img+"\n    command: "+sleeper+"\n")
	pinned := strings.TrimSpace(docker(t, "inspect", "--format", "{{index .RepoDigests 0}}", img))
	dgst := strings.SplitN(pinned, "@", 2)[1]
	out := h.ok("config", "--resolve-image-digests").stdout
	if !strings.Contains(out, "image: "+img+"@"+dgst) || !strings.Contains(out, "command:") {
		t.Errorf("config --resolve-image-digests:\n%s", out)
	}
	out = h.ok("config", "--lock-image-digests").stdout
	want := "services:\n  app:\n    image: " + img + "@" + dgst + "\n"
	if out != want {
		t.Errorf("config --lock-image-digests:\n%s\nwant:\n%s", out, want)
	}
}

func sha256Path(p string) []byte {
	d := digest.FromString(p)
	b, _ := hexDecode(d.Encoded())
	return b
}

// TestPullRefreshAfter: pull_policy: refresh with pull_refresh_after pulls
// an image whose last pull is unknown or older than that, and not one
// pulled just now.
func TestPullRefreshAfter(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{}).Addr
	img := pushTestImage(t, reg, "par/refresh:1")
	h := newHarness(t, "services:\n  app:\n    image: "+img+"\n    command: "+sleeper+"\n    pull_policy: refresh\n    pull_refresh_after: 1h\n")
	h.env = []string{"XDG_CACHE_HOME=" + t.TempDir()}
	// Present, but never pulled by mycompose: the last pull is unknown.
	if out := h.ok("--dry-run", "up", "-d").stdout; !strings.Contains(out, "pull image "+img) {
		t.Errorf("--dry-run does not pull an image of unknown age:\n%s", out)
	}
	h.ok("up", "-d")
	if out := h.ok("--dry-run", "up", "-d").stdout; strings.Contains(out, "pull image "+img) {
		t.Errorf("--dry-run pulls an image pulled less than 1h ago:\n%s", out)
	}
}

// TestBuildSecretOwnerWarning: uid, gid and mode of a build secret are
// accepted with a warning saying where they belong.
func TestBuildSecretOwnerWarning(t *testing.T) {
	h := newHarness(t, `
services:
  app:
    image: par-secret-warning:1
    build:
      context: .
      secrets:
        - source: token
          uid: "1000"
secrets:
  token: {environment: HOME}
`)
	h.write("Dockerfile", "FROM "+testImage+"\n")
	r := h.ok("--dry-run", "up", "-d")
	if want := `WARN[0000] service "app": build.secrets[0] (token): uid, gid and mode have no effect on a build secret`; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}
