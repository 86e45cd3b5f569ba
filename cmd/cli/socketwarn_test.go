package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

func TestSocketWarningsResolvePaths(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "engine", "d.sock")
	os.MkdirAll(filepath.Dir(sock), 0o755)
	os.WriteFile(sock, nil, 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(filepath.Dir(sock), link)
	endpoint := "unix://" + sock
	var b strings.Builder
	warnOneOffSocketMount(&b, []project.Mount{{Type: project.MountBind, Source: link, Target: "/x"}}, endpoint)
	if !strings.Contains(b.String(), "mounts the Docker engine socket") {
		t.Errorf("a symlink to the DOCKER_HOST socket's directory: %q", b.String())
	}
	b.Reset()
	warnOneOffSocketMount(&b, []project.Mount{{Type: project.MountBind, Source: filepath.Join(dir, "other"), Target: "/x"}}, endpoint)
	if b.Len() != 0 {
		t.Errorf("unrelated mount warned: %q", b.String())
	}
	if got := engineSockets("tcp://h:2375"); got != nil {
		t.Errorf("tcp endpoint sockets %v", got)
	}
}
