package loader

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	procenv "github.com/mycompose/mycompose/internal/environ"
)

// digestKeyFile is the key's file name under the user's config directory.
const digestKeyFile = "digest.key"

// DigestKey returns the per-user random key that keys the digests kept in
// container labels (project.ConfigRecord), creating it on first use:
// $MYCOMPOSE_DIGEST_KEY_FILE, else $XDG_CONFIG_HOME/mycompose/digest.key
// (a relative XDG_CONFIG_HOME is ignored), else ~/.config/mycompose/digest.key.
// The file must belong to the user and be readable by nobody else: a key
// others can read lets them guess values offline from labels. Share the
// file between machines that manage the same engine so that each sees the
// other's digests.
func DigestKey(environ []string) ([]byte, error) {
	path := procenv.Get(environ, "MYCOMPOSE_DIGEST_KEY_FILE")
	if path == "" {
		dir, err := configDir(environ)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("digest key: %w", err)
		}
		path = filepath.Join(dir, digestKeyFile)
	}
	key, err := readDigestKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err = createDigestKey(path); err == nil || errors.Is(err, fs.ErrExist) {
			key, err = readDigestKey(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("digest key %s: %w", path, err)
	}
	return key, nil
}

func configDir(environ []string) (string, error) {
	if x := procenv.Get(environ, "XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "mycompose"), nil
	}
	home := procenv.Get(environ, "HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("digest key: neither XDG_CONFIG_HOME nor HOME is an absolute path")
	}
	return filepath.Join(home, ".config", "mycompose"), nil
}

// readDigestKey reads the key without following a symlink, and checks its
// owner and mode.
func readDigestKey(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return nil, fmt.Errorf("owned by uid %d, not by you (uid %d): remove it", st.Uid, os.Geteuid())
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("must be a regular file readable by you only (mode %v): chmod 600 it, or remove it", info.Mode())
	}
	buf := make([]byte, 129)
	n, _ := f.Read(buf)
	key, err := hex.DecodeString(strings.TrimSpace(string(buf[:n])))
	if err != nil || len(key) < 16 {
		return nil, errors.New("not a key (64 hex digits expected): remove it to get a new one")
	}
	return key, nil
}

// createDigestKey writes a new random key atomically: to a temporary file
// first, then linked to its name, so that two processes starting together
// agree on one key (the second link fails with ErrExist).
func createDigestKey(path string) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".digest-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
