package convergence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/project"
)

func TestDockerfileImages(t *testing.T) {
	cases := []struct {
		name, dockerfile string
		want             string // images, space-separated
		blocker          string // substring of the reason, "" for none
	}{
		{"one base", "FROM busybox\nRUN true\n", "busybox", ""},
		{"stages and copy --from", "FROM alpine:3 AS base\nFROM base\nCOPY --from=base /a /a\nCOPY --from=0 /b /b\nCOPY --from=tools:1 /c /c\n", "alpine:3 tools:1", ""},
		{"stage names are case-insensitive", "FROM alpine AS Base\nFROM base\n", "alpine", ""},
		{"a mount from an image", "FROM scratch\nRUN --mount=type=bind,from=helper,target=/h true\nRUN --mount=type=cache,target=/c true\n", "helper", ""},
		{"scratch only", "FROM scratch\nCOPY a /a\n", "", ""},
		{"variable base", "ARG BASE=alpine\nFROM ${BASE}\n", "", "variable"},
		{"variable copy --from", "FROM alpine\nARG X\nCOPY --from=$X /a /a\n", "", "variable"},
		{"stage platform", "FROM --platform=linux/arm64 alpine\n", "", "platform"},
		{"ADD of a URL", "FROM alpine\nADD https://example.com/x /x\n", "", "URL"},
		{"ADD of a git repo", "FROM alpine\nADD git@example.com:a/b.git /src\n", "", "URL"},
		{"syntax directive", "# syntax=docker/dockerfile:1\nFROM alpine\n", "", "syntax"},
		{"unparsable", "FROM\n", "", "unparsable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := DockerfileImages([]byte(c.dockerfile))
			if c.blocker != "" {
				if !strings.Contains(why, c.blocker) {
					t.Errorf("blocker %q, want one naming %q (images %v)", why, c.blocker, got)
				}
				return
			}
			if why != "" || strings.Join(got, " ") != c.want {
				t.Errorf("images %v blocker %q, want %q", got, why, c.want)
			}
		})
	}
}

// buildDir writes a context with a Dockerfile FROM base and returns the
// request building it.
func buildDir(t *testing.T, files map[string]string) BuildRequest {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return BuildRequest{Build: &project.Build{Context: dir, Args: map[string]string{"A": "1"}}, Tags: []string{"p-web"}}
}

func digestOf(t *testing.T, req BuildRequest, images map[string]string) string {
	t.Helper()
	in, err := ReadBuildInputs(req)
	if err != nil {
		t.Fatal(err)
	}
	return InputsDigest(req, in, images)
}

func TestInputsDigestFollowsWhatTheBuilderReads(t *testing.T) {
	req := buildDir(t, map[string]string{
		"Dockerfile":    "FROM base\nCOPY . /app\n",
		".dockerignore": "ignored/\n**/*.log\n",
		"app/main.txt":  "v1",
		"ignored/x":     "x",
		"app/sub/y.txt": "y",
	})
	dir := req.Build.Context
	images := map[string]string{"base": "sha256:b1", "p-web": "sha256:w1"}
	d0 := digestOf(t, req, images)
	if d0 == "" {
		t.Fatal("no digest for a plain local build")
	}
	if again := digestOf(t, req, images); again != d0 {
		t.Fatal("the digest of unchanged inputs changed")
	}
	// What changes nothing the builder reads keeps the digest.
	if err := os.WriteFile(filepath.Join(dir, "ignored", "x"), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ignored", "new"), []byte("n"), 0o644)
	os.WriteFile(filepath.Join(dir, "app", "sub", "debug.log"), []byte("l"), 0o644) // a new entry in a directory the builder reads
	if d := digestOf(t, req, map[string]string{"base": "sha256:b1", "p-web": "sha256:other"}); d != d0 {
		t.Error("a file .dockerignore leaves out, or the tag's current image, changed the digest")
	}
	withSecret := req
	b := *req.Build
	b.Secrets = []project.BuildSecret{{ID: "tok", Content: []byte("one")}}
	withSecret.Build = &b
	s1 := digestOf(t, withSecret, images)
	b2 := b
	b2.Secrets = []project.BuildSecret{{ID: "tok", Content: []byte("two")}}
	withSecret.Build = &b2
	if digestOf(t, withSecret, images) != s1 {
		t.Error("a secret's content changed the digest (BuildKit's cache ignores it; the digest must not depend on it)")
	}

	changes := []struct {
		name   string
		change func(t *testing.T) BuildRequest
		images map[string]string
	}{
		{"a file rewritten with the same size", func(t *testing.T) BuildRequest {
			time.Sleep(10 * time.Millisecond) // a later change time
			os.WriteFile(filepath.Join(dir, "app", "main.txt"), []byte("v2"), 0o644)
			return req
		}, images},
		{"an editor's atomic save of the same content", func(t *testing.T) BuildRequest {
			tmp := filepath.Join(dir, "app", ".tmp")
			os.WriteFile(tmp, []byte("v2"), 0o644)
			os.Rename(tmp, filepath.Join(dir, "app", "main.txt"))
			return req
		}, images},
		{"a mode", func(t *testing.T) BuildRequest {
			os.Chmod(filepath.Join(dir, "app", "main.txt"), 0o755)
			return req
		}, images},
		{"a new file", func(t *testing.T) BuildRequest {
			os.WriteFile(filepath.Join(dir, "app", "new.txt"), []byte("n"), 0o644)
			return req
		}, images},
		{"the Dockerfile", func(t *testing.T) BuildRequest {
			os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM base\nCOPY . /srv\n"), 0o644)
			return req
		}, images},
		{"a build arg", func(t *testing.T) BuildRequest {
			r := req
			b := *req.Build
			b.Args = map[string]string{"A": "2"}
			r.Build = &b
			return r
		}, images},
		{"the base image", func(t *testing.T) BuildRequest { return req }, map[string]string{"base": "sha256:b2", "p-web": "sha256:w1"}},
		{"a tag", func(t *testing.T) BuildRequest {
			r := req
			r.Tags = []string{"p-web", "extra"}
			return r
		}, images},
		{"the builder", func(t *testing.T) BuildRequest {
			r := req
			r.Classic = true
			return r
		}, images},
	}
	prev := d0
	for _, c := range changes {
		d := digestOf(t, c.change(t), c.images)
		if d == "" || d == prev {
			t.Errorf("%s: digest %q did not change (was %q)", c.name, d, prev)
		}
		if c.images["base"] == "sha256:b1" {
			prev = d
		}
	}
}

func TestInputsDigestBlockers(t *testing.T) {
	req := buildDir(t, map[string]string{"Dockerfile": "FROM base\n"})
	images := map[string]string{"base": "sha256:b1"}
	if digestOf(t, req, map[string]string{}) != "" {
		t.Error("a digest although the base image is not on the engine (the builder would pull it)")
	}
	blocked := map[string]func(b *project.Build, r *BuildRequest){
		"no_cache":            func(b *project.Build, _ *BuildRequest) { b.NoCache = true },
		"no_cache_filter":     func(b *project.Build, _ *BuildRequest) { b.NoCacheFilter = []string{"x"} },
		"pull":                func(b *project.Build, _ *BuildRequest) { b.Pull = true },
		"cache_to":            func(b *project.Build, _ *BuildRequest) { b.CacheTo = []string{"type=inline"} },
		"additional_contexts": func(b *project.Build, _ *BuildRequest) { b.AdditionalContexts = map[string]string{"x": "/tmp"} },
		"platform":            func(_ *project.Build, r *BuildRequest) { r.Platform = "linux/arm64" },
		"remote":              func(b *project.Build, _ *BuildRequest) { b.Remote = "https://example.com/x.git" },
	}
	for name, set := range blocked {
		r := req
		b := *req.Build
		set(&b, &r)
		r.Build = &b
		if d := digestOf(t, r, images); d != "" {
			t.Errorf("%s: a digest, want the build always run", name)
		}
	}
}

func TestDockerfileSpecificIgnoreTakesEveryFile(t *testing.T) {
	req := buildDir(t, map[string]string{
		"Dockerfile":              "FROM base\n",
		"Dockerfile.dockerignore": "a\n",
		".dockerignore":           "ignored\n",
		"ignored":                 "1",
	})
	images := map[string]string{"base": "sha256:b1"}
	d0 := digestOf(t, req, images)
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(filepath.Join(req.Build.Context, "ignored"), []byte("2"), 0o644)
	if digestOf(t, req, images) == d0 {
		t.Error("with Dockerfile.dockerignore (which BuildKit reads instead), a file .dockerignore leaves out must count")
	}
}

func TestBuildUnchanged(t *testing.T) {
	rec := BuildRecord{Digest: "sha256:d", ID: "sha256:i"}
	ids := map[string]string{"p-web": "sha256:i", "extra": "sha256:i"}
	cases := []struct {
		name   string
		digest string
		rec    BuildRecord
		tags   []string
		ids    map[string]string
		want   bool
	}{
		{"same inputs, tags on the image", "sha256:d", rec, []string{"p-web", "extra"}, ids, true},
		{"other inputs", "sha256:e", rec, []string{"p-web"}, ids, false},
		{"must build", "", BuildRecord{}, []string{"p-web"}, ids, false},
		{"no record", "sha256:d", BuildRecord{}, []string{"p-web"}, ids, false},
		{"the tag names another image", "sha256:d", rec, []string{"p-web"}, map[string]string{"p-web": "sha256:x"}, false},
		{"an extra tag is missing", "sha256:d", rec, []string{"p-web", "extra"}, map[string]string{"p-web": "sha256:i"}, false},
	}
	for _, c := range cases {
		if got := BuildUnchanged(c.digest, c.rec, c.tags, c.ids); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestInputsDigestThroughASymlinkedContext(t *testing.T) {
	req := buildDir(t, map[string]string{"Dockerfile": "FROM base\n", "a.txt": "1"})
	link := filepath.Join(t.TempDir(), "ctx")
	if err := os.Symlink(req.Build.Context, link); err != nil {
		t.Fatal(err)
	}
	b := *req.Build
	b.Context = link
	req.Build = &b
	images := map[string]string{"base": "sha256:b1"}
	d0 := digestOf(t, req, images)
	os.WriteFile(filepath.Join(link, "a.txt"), []byte("2"), 0o644)
	if digestOf(t, req, images) == d0 {
		t.Error("a change below a context reached through a symlink did not change the digest")
	}
}
