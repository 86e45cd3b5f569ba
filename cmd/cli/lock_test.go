package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLockRefusesForeignOrOpenDirectory(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if _, err := lockProjectIn(context.Background(), open, "unix:///x.sock", "p", io.Discard, time.Second); err == nil || !strings.Contains(err.Error(), "writable by other users") {
		t.Errorf("a world-writable lock directory: %v", err)
	}
	link := filepath.Join(base, "link")
	os.Symlink(t.TempDir(), link)
	if _, err := lockProjectIn(context.Background(), link, "unix:///x.sock", "p", io.Discard, time.Second); err == nil {
		t.Error("a symlinked lock directory was used")
	}
	if os.Geteuid() != 0 {
		return // only root can make a directory of another uid
	}
	other := filepath.Join(base, "other")
	os.Mkdir(other, 0o700)
	os.Chown(other, 12345, 12345)
	if _, err := lockProjectIn(context.Background(), other, "unix:///x.sock", "p", io.Discard, time.Second); err == nil || !strings.Contains(err.Error(), "belongs to uid 12345") {
		t.Errorf("a lock directory of another uid: %v", err)
	}
}

func TestLockDoesNotFollowSymlink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	os.Mkdir(dir, 0o700)
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	os.Symlink(victim, filepath.Join(dir, lockName("unix:///x.sock", "p")))
	if _, err := lockProjectIn(context.Background(), dir, "unix:///x.sock", "p", io.Discard, time.Second); err == nil {
		t.Fatal("the lock followed a symlink")
	}
	if data, _ := os.ReadFile(victim); string(data) != "precious" {
		t.Errorf("victim changed: %q", data)
	}
}

func TestLockLongNameAndTimeoutNamesHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	long := strings.Repeat("p", 400)
	sockDir := t.TempDir()
	os.WriteFile(filepath.Join(sockDir, "docker.sock"), nil, 0o600)
	alias := filepath.Join(t.TempDir(), "run")
	os.Symlink(sockDir, alias)
	l, err := lockProjectIn(context.Background(), dir, "unix://"+filepath.Join(sockDir, "docker.sock"), long, io.Discard, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	info, _ := os.Stat(dir)
	if info.Mode().Perm() != 0o700 {
		t.Errorf("lock directory mode %v", info.Mode().Perm())
	}
	// The same socket spelt through a symlinked directory is the same lock:
	// the second taker waits, then fails naming the holder.
	start := time.Now()
	var msg strings.Builder
	_, err = lockProjectIn(context.Background(), dir, "unix://"+filepath.Join(alias, "docker.sock"), long, &msg, 300*time.Millisecond)
	if !errors.Is(err, errLockTimeout) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("err = %v, want a timeout naming pid %d", err, os.Getpid())
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("waited %v", time.Since(start))
	}
	if !strings.Contains(msg.String(), "waiting for another mycompose") {
		t.Errorf("no waiting message: %q", msg.String())
	}
}

func TestCanonicalEndpoint(t *testing.T) {
	if fi, err := os.Lstat("/var/run"); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if target, _ := filepath.EvalSymlinks("/var/run"); target == "/run" &&
			canonicalEndpoint("unix:///var/run/docker.sock") != canonicalEndpoint("unix:///run/docker.sock") {
			t.Error("/var/run/docker.sock and /run/docker.sock have two locks")
		}
	}
	if canonicalEndpoint("TCP://Host:2375") != canonicalEndpoint("tcp://host:2375") {
		t.Error("case of a tcp endpoint matters")
	}
	if lockName("unix:///a.sock", "p") == lockName("unix:///a.sock", "q") {
		t.Error("two projects share a lock")
	}
}

func TestLockDir(t *testing.T) {
	for _, tc := range []struct{ runtime, cache, home, want string }{
		{"/run/user/1", "/c", "/h", "/run/user/1/mycompose-locks"},
		{"", "/c", "/h", "/c/mycompose/locks"},
		{"rel", "rel", "/h", "/h/.cache/mycompose/locks"},
	} {
		if got, err := lockDir(tc.runtime, tc.cache, tc.home); err != nil || got != tc.want {
			t.Errorf("lockDir(%q, %q, %q) = %q, %v; want %q", tc.runtime, tc.cache, tc.home, got, err, tc.want)
		}
	}
}
