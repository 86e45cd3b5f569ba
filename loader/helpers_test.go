package loader

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

// fixture returns the absolute path of testdata/projects/<name>.
func fixture(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "projects", name))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeFiles writes name -> content below dir, creating parents.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// inlineDir writes compose.yaml (and any extra files) into a fresh
// directory named "app", so inline projects are called "app".
func inlineDir(t *testing.T, yaml string, extra map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	files := map[string]string{"compose.yaml": yaml}
	for k, v := range extra {
		files[k] = v
	}
	writeFiles(t, dir, files)
	return dir
}

// loadInline loads an inline compose.yaml with an empty environment.
func loadInline(t *testing.T, yaml string) (*project.Project, error) {
	t.Helper()
	dir := inlineDir(t, yaml, nil)
	return Load(context.Background(), Options{WorkDir: dir, Environ: []string{}})
}

// mustLoadInline is loadInline failing the test on error.
func mustLoadInline(t *testing.T, yaml string) *project.Project {
	t.Helper()
	p, err := loadInline(t, yaml)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

// loadErr loads an inline compose.yaml that must fail and checks that the
// error contains every want fragment.
func loadErr(t *testing.T, yaml string, want ...string) error {
	t.Helper()
	_, err := loadInline(t, yaml)
	if err == nil {
		t.Fatalf("load succeeded, want an error containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	return err
}

func mustService(t *testing.T, p *project.Project, name string) *project.Service {
	t.Helper()
	s, ok := p.Service(name)
	if !ok {
		t.Fatalf("service %q not found in %v", name, p.ServiceNames())
	}
	return s
}
