package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// projectLock serializes mutating commands on one project of one engine
// endpoint among the mycompose processes of this machine. Two `up`s started
// together would otherwise both observe "no network" and, on Engine API 1.41
// (which allows two networks with one name), both create one. The second
// process waits, then observes the converged state and plans nothing.
//
// The lock is an flock(2) on a file under the temp directory, released by
// the kernel when the process dies, so a SIGKILLed run never leaves it held.
type projectLock struct{ f *os.File }

// lockProject takes the lock of project on endpoint, waiting (and saying so
// on w) while another process holds it, until ctx is done.
func lockProject(ctx context.Context, endpoint, project string, w io.Writer) (*projectLock, error) {
	dir := filepath.Join(os.TempDir(), "mycompose-locks")
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	sum := sha256.Sum256([]byte(endpoint))
	path := filepath.Join(dir, hex.EncodeToString(sum[:8])+"-"+project+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &projectLock{f: f}, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock project %q: %w", project, err)
		}
		if !told {
			fmt.Fprintf(w, "waiting for another mycompose command working on project %q to finish\n", project)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// unlock releases the lock.
func (l *projectLock) unlock() {
	if l != nil && l.f != nil {
		syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
		l.f = nil // idempotent: a second unlock must not touch a reused fd
	}
}
