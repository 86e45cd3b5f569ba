package loader

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestDigestKeyCreatedPrivateAndStable(t *testing.T) {
	cfg := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + cfg, "HOME=/nonexistent"}
	k1, err := DigestKey(env)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := DigestKey(env)
	if err != nil || string(k1) != string(k2) || len(k1) != 32 {
		t.Fatalf("second read: %x vs %x, %v", k1, k2, err)
	}
	info, err := os.Stat(filepath.Join(cfg, "mycompose", "digest.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", info.Mode(), err)
	}
	// A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
	home := t.TempDir()
	if _, err := DigestKey([]string{"XDG_CONFIG_HOME=rel", "HOME=" + home}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "mycompose", "digest.key")); err != nil {
		t.Errorf("relative XDG_CONFIG_HOME not ignored: %v", err)
	}
}

func TestDigestKeyRefusesReadableOrLinkedFiles(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.key")
	os.WriteFile(open, []byte(strings.Repeat("ab", 32)), 0o644)
	if _, err := DigestKey([]string{"MYCOMPOSE_DIGEST_KEY_FILE=" + open}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key readable by others: %v", err)
	}
	target := filepath.Join(dir, "target.key")
	os.WriteFile(target, []byte(strings.Repeat("ab", 32)), 0o600)
	link := filepath.Join(dir, "link.key")
	os.Symlink(target, link)
	if _, err := DigestKey([]string{"MYCOMPOSE_DIGEST_KEY_FILE=" + link}); err == nil {
		t.Error("a symlinked key was followed")
	}
}

func TestReadSourceFileBounds(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, maxSourceFile+1), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{big: "more than", fifo: "not a regular file", dir: "not a regular file", "/dev/zero": "not a regular file"} {
		if _, err := readSourceFile(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("fine"), 0o600)
	if data, err := readSourceFile(ok); err != nil || string(data) != "fine" {
		t.Errorf("ok: %q %v", data, err)
	}
}
