package loader

// FuzzLoad feeds arbitrary bytes as compose.yaml to the loader. It calls
// load and convert directly, without Load's recover, so that a panic in
// compose-go, in the error explainer or in the conversion fails the fuzz
// run instead of becoming an "internal error" message. It also checks what
// a user sees: every error is a non-empty message, and every project that
// loads is one the rest of mycompose can use.
//
// The seed corpus (testdata/fuzz/FuzzLoad) runs with `go test ./...`; to
// search for new failures:
//
//	go test ./loader -run '^$' -fuzz FuzzLoad -fuzztime 30s

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

func FuzzLoad(f *testing.F) {
	f.Add([]byte("services:\n  web:\n    image: busybox\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Device and process files would make the run block or depend on
		// the machine (include: /dev/stdin, env_file: /dev/zero).
		for _, special := range []string{"/dev", "/proc", "/sys"} {
			if bytes.Contains(data, []byte(special)) {
				t.Skip("mentions " + special)
			}
		}
		dir := filepath.Join(t.TempDir(), "app")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := Options{
			Files:   []string{"compose.yaml"},
			WorkDir: dir,
			Environ: []string{"PWD=" + dir, "HOME=" + dir, "TAG=1.0", "EMPTY="},
		}
		l, err := load(context.Background(), opts)
		var p *project.Project
		if err == nil {
			p, err = l.convert()
		}
		if err != nil {
			checkErrorMessage(t, err)
			// The only input is compose.yaml: the message must name it.
			if !strings.HasPrefix(err.Error(), "compose.yaml") {
				t.Fatalf("error message does not start with the compose file: %q", err)
			}
			return
		}
		checkProject(t, p)
		// config renders what loaded.
		if _, err := l.compose.MarshalYAML(); err != nil {
			t.Fatalf("the loaded project does not render: %v", err)
		}
	})
}

// checkErrorMessage asserts an error is something to show a user.
func checkErrorMessage(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.TrimSpace(msg) == "" {
		t.Fatalf("empty error message (%#v)", err)
	}
	for _, bad := range []string{"internal error", "panic", "goroutine "} {
		if strings.Contains(msg, bad) {
			t.Fatalf("error message %q contains %q", msg, bad)
		}
	}
}

// checkProject asserts the invariants the planner and the CLI rely on.
func checkProject(t *testing.T, p *project.Project) {
	t.Helper()
	if err := project.ValidateProjectName(p.Name); err != nil {
		t.Fatalf("loaded an invalid project name: %v", err)
	}
	if _, err := project.Levels(p.DependencyMap()); err != nil {
		t.Fatalf("loaded a project the planner cannot order: %v", err)
	}
	for _, s := range p.Services {
		if err := project.ValidateServiceName(s.Name); err != nil {
			t.Fatalf("loaded an invalid service name: %v", err)
		}
		if s.Replicas < 0 {
			t.Fatalf("service %q: %d replicas", s.Name, s.Replicas)
		}
		if s.ConfigHash == "" {
			t.Fatalf("service %q has no config hash", s.Name)
		}
		if s.Container.Image == "" {
			t.Fatalf("service %q has no image", s.Name)
		}
		for _, d := range s.DependsOn {
			if _, ok := p.Service(d.Service); !ok {
				t.Fatalf("service %q depends on %q, which is not enabled", s.Name, d.Service)
			}
		}
		for _, n := range s.Networks {
			if _, ok := p.Network(n.Key); !ok {
				t.Fatalf("service %q joins network %q, which the project lacks", s.Name, n.Key)
			}
		}
	}
}
