package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityCpDoesNotWriteThroughLinks performs the two-step attack on
// `cp` from a container: the container holds /data/x -> a host file, the
// user copies /data out; the container then replaces x by a regular file
// and the user copies again. The host file must be unchanged and the
// escaping link never created.
func TestSecurityCpDoesNotWriteThroughLinks(t *testing.T) {
	h := newHarness(t, "security")
	h.ok("up", "-d")
	c := h.project + "-app-1"
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	docker(t, "exec", c, "sh", "-c", "mkdir -p /data && echo fine > /data/ok && ln -s "+victim+" /data/x && ln -s ok /data/inside")

	r := h.fails("leaves the destination", "cp", "app:/data", "out")
	if strings.Contains(r.stderr, "goroutine") {
		t.Fatal(r.stderr)
	}
	if _, err := os.Lstat(filepath.Join(h.dir, "out", "x")); !os.IsNotExist(err) {
		t.Fatalf("the escaping link was created on the host: %v", err)
	}
	if got, _ := os.Readlink(filepath.Join(h.dir, "out", "inside")); got != "ok" {
		t.Errorf("inside link = %q, want ok", got)
	}
	// Whatever is at out/x (here: the link an older version made), the
	// next copy replaces it and never writes through it.
	if err := os.Symlink(victim, filepath.Join(h.dir, "out", "x")); err != nil {
		t.Fatal(err)
	}
	docker(t, "exec", c, "sh", "-c", "rm /data/x && echo pwned > /data/x")
	h.ok("cp", "app:/data/x", "out/")
	if data, err := os.ReadFile(victim); err != nil || string(data) != "precious\n" {
		t.Fatalf("the host file behind the link was overwritten: %q, %v", data, err)
	}
	if data, err := os.ReadFile(filepath.Join(h.dir, "out", "x")); err != nil || string(data) != "pwned\n" {
		t.Errorf("out/x = %q, %v; want the container's regular file", data, err)
	}
	// Copying a single file onto an existing host link replaces the link.
	if err := os.Symlink(victim, filepath.Join(h.dir, "one")); err != nil {
		t.Fatal(err)
	}
	h.ok("cp", "app:/data/x", "one")
	if data, _ := os.ReadFile(victim); string(data) != "precious\n" {
		t.Fatalf("cp onto a host link wrote through it: %q", data)
	}
}
