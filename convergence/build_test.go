package convergence

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

func TestContextTarHonoursDockerignore(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":         "FROM scratch\n",
		".dockerignore":      "secret.txt\nlogs/\n*.tmp\n!keep.tmp\nDockerfile\n",
		"app.txt":            "app",
		"secret.txt":         "no",
		"logs/a.log":         "no",
		"x.tmp":              "no",
		"keep.tmp":           "yes",
		"sub/nested/ok.txt":  "ok",
		"sub/nested/bad.tmp": "no",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rc, dockerfile, err := ContextTar(&project.Build{Context: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if dockerfile != "Dockerfile" {
		t.Errorf("dockerfile = %q", dockerfile)
	}
	got := tarNames(t, rc)
	// As in Docker, "*.tmp" matches at the root only (use "**/*.tmp" for all).
	want := ".dockerignore Dockerfile app.txt keep.tmp sub/ sub/nested/ sub/nested/bad.tmp sub/nested/ok.txt"
	if strings.Join(got, " ") != want {
		t.Errorf("context:\n%s\nwant:\n%s", strings.Join(got, " "), want)
	}
}

func TestContextTarInlineDockerfile(t *testing.T) {
	dir := t.TempDir()
	rc, dockerfile, err := ContextTar(&project.Build{Context: dir, DockerfileInline: "FROM scratch\n"})
	if err != nil {
		t.Fatal(err)
	}
	if got := tarNames(t, rc); dockerfile != inlineDockerfile || strings.Join(got, " ") != inlineDockerfile {
		t.Errorf("dockerfile %q, context %v", dockerfile, got)
	}
	if _, _, err := ContextTar(&project.Build{Context: dir}); err == nil || !strings.Contains(err.Error(), "Dockerfile") {
		t.Errorf("missing Dockerfile: %v", err)
	}
	if _, _, err := ContextTar(&project.Build{Context: filepath.Join(dir, "nope")}); err == nil {
		t.Error("missing context accepted")
	}
}

func tarNames(t *testing.T, r io.Reader) []string {
	t.Helper()
	tr := tar.NewReader(r)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	sort.Strings(names)
	return names
}

func TestPlanBuilds(t *testing.T) {
	b := &project.Build{Context: "/x"}
	p := &project.Project{Services: []project.Service{
		{Name: "a", Build: b, Container: project.ContainerSpec{Image: "p-a"}},
		{Name: "b", Build: b, Container: project.ContainerSpec{Image: "p-b"}},
		{Name: "c", Container: project.ContainerSpec{Image: "busybox"}},
	}}
	present := map[string]string{"p-a": "sha256:1"}
	for _, tc := range []struct {
		opts BuildOptions
		want string
	}{
		{BuildOptions{}, "b"},
		{BuildOptions{Force: true}, "a b"},
		{BuildOptions{Force: true, Services: []string{"a"}}, "a"},
		{BuildOptions{Never: true}, ""},
	} {
		if got := strings.Join(PlanBuilds(p, present, tc.opts), " "); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.opts, got, tc.want)
		}
	}
}

func buildProject(ctxs map[string]map[string]string) *project.Project {
	p := &project.Project{Name: "p"}
	names := make([]string, 0, len(ctxs))
	for n := range ctxs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p.Services = append(p.Services, project.Service{Name: n, Container: project.ContainerSpec{Image: "p-" + n},
			Build: &project.Build{Context: "/src/" + n, AdditionalContexts: ctxs[n]}})
	}
	return p
}

func TestBuildDepsOrderServiceContexts(t *testing.T) {
	p := buildProject(map[string]map[string]string{
		"base": nil,
		"app":  {"base": "service:base", "dir": "/x"},
		"web":  {"b": "service:base", "a": "service:app"},
	})
	deps, err := BuildDeps(p, []string{"app", "base", "web"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(deps["app"], deps["web"], deps["base"]); got != "[base] [app base] []" {
		t.Errorf("deps = %s", got)
	}
	// A dependency that is not being built (its image is present) is no
	// dependency of this run.
	deps, _ = BuildDeps(p, []string{"web"})
	if len(deps["web"]) != 0 {
		t.Errorf("deps = %v", deps)
	}
	p = buildProject(map[string]map[string]string{"a": {"x": "service:b"}, "b": {"y": "service:a"}})
	if _, err := BuildDeps(p, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "a -> b -> a") {
		t.Errorf("cycle: %v", err)
	}
}

func TestBuildRequestForResolvesServiceContextsAndPlatform(t *testing.T) {
	p := buildProject(map[string]map[string]string{"base": nil, "app": {"base": "service:base", "dir": "/x"}})
	app, _ := p.Service("app")
	app.Build.Tags = []string{"extra:1"}
	app.Build.Platforms = []string{"linux/amd64"}
	req := BuildRequestFor(p, app)
	if got := fmt.Sprintln(req.Tags, req.Platform, req.Build.AdditionalContexts); got != "[p-app extra:1] linux/amd64 map[base:docker-image://p-base dir:/x]\n" {
		t.Errorf("request = %s", got)
	}
	if app.Build.AdditionalContexts["base"] != "service:base" {
		t.Error("BuildRequestFor changed the project")
	}
}

func TestClassicUnsupported(t *testing.T) {
	for _, c := range []struct {
		b    project.Build
		want string
	}{
		{project.Build{}, ""},
		{project.Build{Remote: "https://example.com/ctx.tar"}, ""},
		{project.Build{Remote: "git@example.com:a/b.git"}, "context (git)"},
		{project.Build{Secrets: []project.BuildSecret{{ID: "a"}}}, "secrets"},
		{project.Build{SSH: []project.BuildSSH{{ID: "default"}}}, "ssh"},
		{project.Build{CacheTo: []string{"type=inline"}}, "cache_to"},
		{project.Build{AdditionalContexts: map[string]string{"a": "/x"}}, "additional_contexts"},
		{project.Build{Privileged: true}, "privileged/entitlements"},
	} {
		if got := ClassicUnsupported(&c.b); got != c.want {
			t.Errorf("%+v: %q, want %q", c.b, got, c.want)
		}
	}
}
