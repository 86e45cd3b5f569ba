// Package hostfiles keeps the secrets and configs of containers on a local
// engine in a private, memory-backed directory of the host, from which they
// are bind-mounted read-only into the containers. They are never written
// into a container's writable layer (so `docker commit`, `export` and
// `diff` never see them, and read_only services can have them), never hit
// the disk (the directory is on a tmpfs), and are removed with the
// container.
//
// Layout: BASE/PROJECT/ID/N, where BASE is $XDG_RUNTIME_DIR/mycompose-files
// (a per-user tmpfs) when set, else /dev/shm/mycompose-files-UID; BASE and
// each directory below it are created 0700 and must belong to the user; ID
// is random per container, and N numbers the container's files.
package hostfiles

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	procenv "github.com/mycompose/mycompose/internal/environ"
	"github.com/mycompose/mycompose/project"
)

// tmpfsMagic is TMPFS_MAGIC of statfs(2).
const tmpfsMagic = 0x01021994

// Store is the host directory tree of delivered files.
type Store struct {
	base string
}

// New returns the store of this user; nothing is created until Put.
// environ is the process environment (nil: os.Environ).
func New(environ []string) *Store {
	if rt := procenv.Get(environ, "XDG_RUNTIME_DIR"); filepath.IsAbs(rt) && onTmpfs(rt) {
		return &Store{base: filepath.Join(rt, "mycompose-files")}
	}
	return &Store{base: filepath.Join("/dev/shm", "mycompose-files-"+strconv.Itoa(os.Geteuid()))}
}

// NewAt returns a store rooted at base (tests).
func NewAt(base string) *Store { return &Store{base: base} }

// Base is the store's root directory.
func (s *Store) Base() string { return s.base }

func onTmpfs(path string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(path, &st) == nil && int64(st.Type) == tmpfsMagic
}

// privateDir makes dir (mode 0700) if missing and checks that it is a real
// directory of ours that nobody else can enter: the files in it are secrets.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory (a symlink?): remove it", dir)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to uid %d, not to you (uid %d): remove it", dir, st.Uid, os.Geteuid())
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is open to other users (mode %v): remove it or chmod 700 it", dir, info.Mode().Perm())
	}
	return nil
}

// Put writes files for one container of projectName and returns the
// directory that holds them (to Remove later) and the read-only bind
// mounts that deliver them. The files get their declared mode, owner and
// group; without the right to give them away (not root), a file readable
// by everyone keeps the caller as owner, and any other is an error.
func (s *Store) Put(projectName string, files []project.ContainerFile) (dir string, mounts []project.Mount, err error) {
	if projectName == "" || strings.ContainsAny(projectName, "/\x00") || projectName == "." || projectName == ".." {
		return "", nil, fmt.Errorf("invalid project name %q", projectName)
	}
	if err := privateDir(s.base); err != nil {
		return "", nil, fmt.Errorf("secrets directory: %w", err)
	}
	pdir := filepath.Join(s.base, projectName)
	id := make([]byte, 8)
	rand.Read(id)
	dir = filepath.Join(pdir, hex.EncodeToString(id))
	for attempt := 0; ; attempt++ {
		if err := privateDir(pdir); err != nil {
			return "", nil, fmt.Errorf("secrets directory: %w", err)
		}
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			break
		}
		// A concurrent Remove may have taken the emptied project
		// directory away between the two calls.
		if !errors.Is(err, fs.ErrNotExist) || attempt > 2 {
			return "", nil, fmt.Errorf("secrets directory: %w", err)
		}
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
			dir, mounts = "", nil
		}
	}()
	for i, f := range files {
		p := filepath.Join(dir, strconv.Itoa(i))
		if err := writeFile(p, f); err != nil {
			return "", nil, fmt.Errorf("%s %q: %w", f.Kind, f.Name, err)
		}
		mounts = append(mounts, project.Mount{Type: project.MountBind, Source: p, Target: f.Path, ReadOnly: true})
	}
	return dir, mounts, nil
}

func writeFile(p string, f project.ContainerFile) error {
	out, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = out.Write(f.Content)
	if err == nil {
		err = out.Chown(f.UID, f.GID)
		mode := os.FileMode(f.Mode).Perm()
		if errors.Is(err, syscall.EPERM) && mode&0o004 != 0 {
			err = nil // readable by everyone anyway: the owner does not matter
		} else if errors.Is(err, syscall.EPERM) {
			err = fmt.Errorf("cannot give it to uid %d gid %d (mycompose is not running as root): run as root, or declare mode 0444", f.UID, f.GID)
		}
		if err == nil {
			err = out.Chmod(mode)
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// Owns returns the container directory that a bind source lies in, when it
// is one of this store's.
func (s *Store) Owns(source string) (dir string, ok bool) {
	rel, err := filepath.Rel(s.base, source)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	parts := strings.Split(rel, string(filepath.Separator))
	if len(parts) < 2 {
		return "", false
	}
	return filepath.Join(s.base, parts[0], parts[1]), true
}

// Remove deletes a container directory returned by Put or Owns.
func (s *Store) Remove(dir string) error {
	if d, ok := s.Owns(filepath.Join(dir, "x")); !ok || d != dir {
		return fmt.Errorf("%s is not a secrets directory of %s", dir, s.base)
	}
	err := os.RemoveAll(dir)
	os.Remove(filepath.Dir(dir)) // the project's directory, once empty
	return err
}

// Sweep removes the directories of projectName that no container uses any
// more (live holds the used ones): those of containers removed behind
// mycompose's back (docker rm, run --rm). Directories younger than minAge
// are kept: their container may be being created right now.
func (s *Store) Sweep(projectName string, live map[string]bool, minAge time.Duration) {
	pdir := filepath.Join(s.base, projectName)
	info, err := os.Lstat(pdir)
	if err != nil || !info.IsDir() || strings.ContainsAny(projectName, "/\x00") {
		return
	}
	entries, err := os.ReadDir(pdir)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(pdir, e.Name())
		if live[dir] {
			continue
		}
		if info, err := e.Info(); err != nil || time.Since(info.ModTime()) < minAge {
			continue
		}
		os.RemoveAll(dir)
	}
	os.Remove(pdir) // only when empty
}
