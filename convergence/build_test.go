package convergence

import (
	"archive/tar"
	"errors"
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
