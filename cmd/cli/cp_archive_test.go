package cli

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one crafted tar entry: a directory (name ends in "/"), a
// symlink (link set) or a regular file.
type entry struct {
	name, link, body string
	mode             int64
	typ              byte
}

func craftTar(t *testing.T, entries ...entry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644}
		if e.mode != 0 {
			hdr.Mode = e.mode
		}
		switch {
		case e.typ != 0:
			hdr.Typeflag = e.typ
		case strings.HasSuffix(e.name, "/"):
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		case e.link != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.link
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return &buf
}

// victim is a host file outside the destination that no archive may touch.
func victim(t *testing.T) (dest, victimPath string) {
	t.Helper()
	base := t.TempDir()
	victimPath = filepath.Join(base, "victim")
	if err := os.WriteFile(victimPath, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest = filepath.Join(base, "out")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	return dest, victimPath
}

func assertUntouched(t *testing.T, victimPath string) {
	t.Helper()
	if data, err := os.ReadFile(victimPath); err != nil || string(data) != "precious\n" {
		t.Fatalf("victim outside the destination changed: %q, %v", data, err)
	}
}

// TestExtractTarTwoStepLinkAttack: the first copy brings a link to a host
// file, the second a regular file under the same name: the link is
// replaced, the host file is not written through it.
func TestExtractTarTwoStepLinkAttack(t *testing.T) {
	dest, v := victim(t)
	// Step 1: an absolute link out is not created.
	err := extractTar(craftTar(t, entry{name: "data/"}, entry{name: "data/x", link: v}, entry{name: "data/ok", body: "fine"}), dest, "data", "")
	if err == nil || !strings.Contains(err.Error(), "leaves the destination") {
		t.Fatalf("absolute link: err = %v, want a refusal", err)
	}
	if _, err := os.Lstat(filepath.Join(dest, "data", "x")); !os.IsNotExist(err) {
		t.Errorf("escaping link was created: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dest, "data", "ok")); string(data) != "fine" {
		t.Errorf("the other entries were not extracted: %q", data)
	}
	// Even if such a link is there already (made by an older version, or
	// by hand), step 2 replaces it.
	if err := os.Symlink(v, filepath.Join(dest, "data", "x")); err != nil {
		t.Fatal(err)
	}
	if err := extractTar(craftTar(t, entry{name: "data/"}, entry{name: "data/x", body: "pwned\n"}), dest, "data", ""); err != nil {
		t.Fatal(err)
	}
	assertUntouched(t, v)
	info, err := os.Lstat(filepath.Join(dest, "data", "x"))
	if err != nil || !info.Mode().IsRegular() {
		t.Fatalf("data/x is not a regular file now: %v %v", info, err)
	}
}

// TestExtractTarLinkThenFileInOneArchive: one archive holding a link and
// then a file of the same name does not write through the link.
func TestExtractTarLinkThenFileInOneArchive(t *testing.T) {
	dest, v := victim(t)
	rel, _ := filepath.Rel(filepath.Join(dest, "d"), v) // ../../victim
	err := extractTar(craftTar(t,
		entry{name: "d/"},
		entry{name: "d/x", link: rel},
		entry{name: "d/x", body: "pwned\n"},
	), dest, "d", "")
	if err == nil {
		t.Fatal("a link climbing out of the destination was accepted")
	}
	assertUntouched(t, v)
	// An inside link followed by a file of the same name: replaced.
	if err := extractTar(craftTar(t,
		entry{name: "d/"},
		entry{name: "d/target", body: "keep"},
		entry{name: "d/y", link: "target"},
		entry{name: "d/y", body: "new"},
	), dest, "d", ""); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dest, "d", "target")); string(data) != "keep" {
		t.Errorf("file written through an inside link: target = %q", data)
	}
}

// TestExtractTarRefusesEscapes: ../ names, entries below a symlink, links
// that climb out, absolute links, links that climb after a component.
func TestExtractTarRefusesEscapes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []entry
		want    string
	}{
		// ../ in a name is cleaned against the destination, as docker cp does.
		{"dotdot name", []entry{{name: "../victim", body: "pwned\n"}}, ""},
		{"dotdot inside name", []entry{{name: "a/../../victim", body: "pwned\n"}}, ""},
		{"absolute link", []entry{{name: "l", link: "/etc/passwd"}}, "leaves the destination"},
		{"climbing link", []entry{{name: "a/", typ: 0}, {name: "a/l", link: "../../victim"}}, "leaves the destination"},
		{"climb after component", []entry{{name: "s", link: "."}, {name: "l", link: "s/../victim"}}, "climbs after a path component"},
		{"file through inside link dir", []entry{{name: "sub/"}, {name: "s", link: "sub"}, {name: "s/f", body: "x"}}, "goes through symlink"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest, v := victim(t)
			err := extractTar(craftTar(t, tc.entries...), dest, "", "")
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			assertUntouched(t, v)
			if _, err := os.Lstat(filepath.Join(dest, "l")); !os.IsNotExist(err) {
				t.Errorf("refused link exists: %v", err)
			}
		})
	}
}

// TestExtractTarKeepsSafeContent: inside links, modes without setuid,
// devices skipped, renaming of the top entry, a file replacing a link.
func TestExtractTarKeepsSafeContent(t *testing.T) {
	dest, _ := victim(t)
	err := extractTar(craftTar(t,
		entry{name: "top/"},
		entry{name: "top/bin/tool", body: "#!/bin/sh\n", mode: 0o4755},
		entry{name: "top/lib/a", body: "a"},
		entry{name: "top/bin/link", link: "../lib/a"},
		entry{name: "top/dev", typ: tar.TypeChar},
	), dest, "top", "renamed")
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dest, "renamed", "bin", "tool"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
		t.Errorf("setuid kept: %v", info.Mode())
	}
	if got, _ := os.Readlink(filepath.Join(dest, "renamed", "bin", "link")); got != "../lib/a" {
		t.Errorf("inside link = %q", got)
	}
	if _, err := os.Lstat(filepath.Join(dest, "renamed", "dev")); !os.IsNotExist(err) {
		t.Errorf("device created: %v", err)
	}
}

func TestLinkStaysInside(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		ok           bool
	}{
		{"a", "b", true},
		{"a/b", "../c", true},
		{"a/b", "./c/d", true},
		{"a/b", "../../c", false},
		{"a", "../c", false},
		{"a", "/abs", false},
		{"a", "", false},
		{"a/b", "c/../d", false},
	} {
		if err := linkStaysInside(tc.name, tc.target); (err == nil) != tc.ok {
			t.Errorf("linkStaysInside(%q, %q) = %v, want ok=%v", tc.name, tc.target, err, tc.ok)
		}
	}
}
