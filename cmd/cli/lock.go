package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// projectLock serializes mutating commands on one project of one engine
// endpoint among this user's mycompose processes. Two `up`s started
// together would otherwise both observe "no network" and, on Engine API 1.41
// (which allows two networks with one name), both create one. The second
// process waits, then observes the converged state and plans nothing.
//
// The lock is an flock(2) on a file in a directory of the user's own
// ($XDG_RUNTIME_DIR/mycompose-locks, else the user cache directory's
// mycompose/locks), created 0700 and checked to belong to the user, so no
// other local user can pre-create, replace or hold it. The kernel releases
// it when the process dies, so a SIGKILLed run never leaves it held. The
// holder writes its pid into the file so that a waiter can name it.
type projectLock struct{ f *os.File }

// defaultLockTimeout bounds the wait for a lock another process holds
// (MYCOMPOSE_LOCK_TIMEOUT, a Go duration or seconds, overrides it).
const defaultLockTimeout = 5 * time.Minute

// errLockTimeout is returned when the lock stays held past the timeout.
var errLockTimeout = errors.New("timed out waiting for the project lock")

// lockProject takes the lock of project on endpoint, waiting (and saying so
// on w) while another process holds it, until ctx is done or the timeout.
func lockProject(ctx context.Context, endpoint, project string, w io.Writer) (*projectLock, error) {
	dir, err := lockDir(os.Getenv("XDG_RUNTIME_DIR"), os.Getenv("XDG_CACHE_HOME"), os.Getenv("HOME"))
	if err != nil {
		return nil, err
	}
	return lockProjectIn(ctx, dir, endpoint, project, w, lockTimeout(os.Getenv("MYCOMPOSE_LOCK_TIMEOUT")))
}

func lockTimeout(v string) time.Duration {
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return defaultLockTimeout
}

// lockDir picks the user's lock directory: the runtime directory when it
// is an absolute path, else the cache directory (a relative XDG_CACHE_HOME
// is ignored, as the XDG spec says).
func lockDir(runtime, cache, home string) (string, error) {
	switch {
	case filepath.IsAbs(runtime):
		return filepath.Join(runtime, "mycompose-locks"), nil
	case filepath.IsAbs(cache):
		return filepath.Join(cache, "mycompose", "locks"), nil
	case filepath.IsAbs(home):
		return filepath.Join(home, ".cache", "mycompose", "locks"), nil
	}
	return "", errors.New("project lock: none of XDG_RUNTIME_DIR, XDG_CACHE_HOME and HOME is an absolute path")
}

// lockName names the lock of a project on an endpoint: a digest, so that
// any project name fits in a file name, and of the canonical endpoint, so
// that two spellings of one socket share a lock.
func lockName(endpoint, project string) string {
	sum := sha256.Sum256([]byte(canonicalEndpoint(endpoint) + "\x00" + project))
	return hex.EncodeToString(sum[:16]) + ".lock"
}

// canonicalEndpoint resolves a unix socket's path through symlinks
// (/var/run -> /run) and lowercases a URL's scheme and host.
func canonicalEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme == "unix" {
		p := filepath.Clean(u.Host + u.Path)
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			p = resolved
		}
		return "unix://" + p
	}
	u.Host = strings.ToLower(u.Host)
	return u.String()
}

// userDir creates dir and its missing parents 0700, then checks that dir is
// a real directory of this user that nobody else can write to.
func userDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create lock directory: %w", err)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("lock directory: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("lock directory %s is not a directory (a symlink?): remove it", dir)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("lock directory %s belongs to uid %d, not to you (uid %d): remove it", dir, st.Uid, os.Geteuid())
	}
	if info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("lock directory %s is writable by other users (mode %v): remove it or chmod 700 it", dir, info.Mode().Perm())
	}
	return nil
}

func lockProjectIn(ctx context.Context, dir, endpoint, project string, w io.Writer, timeout time.Duration) (*projectLock, error) {
	if err := userDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, lockName(endpoint, project))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock file %s is not a regular file: remove it", path)
	} else if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		f.Close()
		return nil, fmt.Errorf("lock file %s belongs to uid %d, not to you: remove it", path, st.Uid)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			// Say who holds it, for a waiter's message.
			f.Truncate(0)
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			return &projectLock{f: f}, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock project %q: %w", project, err)
		}
		if !told {
			fmt.Fprintf(w, "waiting for another mycompose command working on project %q to finish (%s)\n", project, holder(f))
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-deadline.C:
			h := holder(f)
			f.Close()
			return nil, fmt.Errorf("project %q: %w: %s has held it for over %v; wait for it to finish or stop it, or set MYCOMPOSE_LOCK_TIMEOUT to wait longer (lock file %s)",
				project, errLockTimeout, h, timeout, path)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// holder describes the process that holds the lock, from the pid it wrote.
func holder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return "another process"
	}
	// The command name only: arguments may hold values (run -e KEY=VALUE).
	if comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm")); err == nil && len(comm) > 0 {
		return fmt.Sprintf("pid %d (%s)", pid, strings.TrimSpace(string(comm)))
	}
	return fmt.Sprintf("pid %d", pid)
}

// unlock releases the lock.
func (l *projectLock) unlock() {
	if l != nil && l.f != nil {
		syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
		l.f = nil // idempotent: a second unlock must not touch a reused fd
	}
}
