package hostfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/project"
)

func TestPutWritesPrivateFilesAndMounts(t *testing.T) {
	s := NewAt(filepath.Join(t.TempDir(), "store"))
	files := []project.ContainerFile{
		{Kind: "secret", Name: "a", Path: "/run/secrets/a", Content: []byte("one"), Mode: 0o400, UID: os.Geteuid(), GID: os.Getegid()},
		{Kind: "config", Name: "b", Path: "/etc/b", Content: []byte("two"), Mode: 0o444},
	}
	dir, mounts, err := s.Put("proj", files)
	if err != nil {
		t.Fatal(err)
	}
	if len(mounts) != 2 || mounts[0].Target != "/run/secrets/a" || !mounts[0].ReadOnly || mounts[0].Type != project.MountBind {
		t.Fatalf("mounts = %+v", mounts)
	}
	for _, d := range []string{s.Base(), filepath.Dir(dir), dir} {
		if info, err := os.Lstat(d); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want a 0700 directory", d, info.Mode(), err)
		}
	}
	info, _ := os.Stat(mounts[0].Source)
	if data, _ := os.ReadFile(mounts[0].Source); string(data) != "one" || info.Mode().Perm() != 0o400 {
		t.Errorf("file a: %q %v", data, info.Mode())
	}
	if got, ok := s.Owns(mounts[1].Source); !ok || got != dir {
		t.Errorf("Owns = %q %v, want %q", got, ok, dir)
	}
	if _, ok := s.Owns("/etc/passwd"); ok {
		t.Error("Owns a foreign path")
	}
	if err := s.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
		t.Errorf("empty project directory kept: %v", err)
	}
	if err := s.Remove("/etc"); err == nil {
		t.Error("Remove accepted a foreign directory")
	}
}

// TestPutRefusesForeignOrOpenDirectories: a base made beforehand by someone
// else (here: open to everyone, or a symlink) is not used.
func TestPutRefusesForeignOrOpenDirectories(t *testing.T) {
	tmp := t.TempDir()
	open := filepath.Join(tmp, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	link := filepath.Join(tmp, "link")
	os.Symlink(tmp, link)
	for _, base := range []string{open, link} {
		_, _, err := NewAt(base).Put("proj", []project.ContainerFile{{Kind: "secret", Name: "a", Path: "/a", Content: []byte("x"), Mode: 0o444}})
		if err == nil {
			t.Errorf("%s: used", base)
		}
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(tmp, "other")
		os.Mkdir(other, 0o700)
		os.Chown(other, 12345, 12345)
		_, _, err := NewAt(other).Put("proj", []project.ContainerFile{{Kind: "secret", Name: "a", Path: "/a", Mode: 0o444}})
		if err == nil || !strings.Contains(err.Error(), "belongs to uid 12345") {
			t.Errorf("a directory of another uid: %v", err)
		}
	}
}

func TestSweepRemovesUnusedOldDirectories(t *testing.T) {
	s := NewAt(filepath.Join(t.TempDir(), "store"))
	f := []project.ContainerFile{{Kind: "secret", Name: "a", Path: "/a", Content: []byte("x"), Mode: 0o444}}
	live, _, _ := s.Put("proj", f)
	dead, _, _ := s.Put("proj", f)
	young, _, _ := s.Put("proj", f)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(live, old, old)
	os.Chtimes(dead, old, old)
	s.Sweep("proj", map[string]bool{live: true}, time.Minute)
	for dir, want := range map[string]bool{live: true, dead: false, young: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", dir, err == nil, want)
		}
	}
}
