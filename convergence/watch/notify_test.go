package watch

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/mycompose/mycompose/project"
)

// startNotifier watches the rules and returns a function that waits (with
// a deadline) for the next batch.
func startNotifier(t *testing.T, rules []*rule) func() map[string]Op {
	t.Helper()
	n, err := newNotifier(rules, DefaultQuiet, DefaultMaxDelay)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go n.run(ctx, func(err error) { t.Errorf("overflow: %v", err) })
	return func() map[string]Op {
		t.Helper()
		select {
		case <-n.ready:
			return n.take()
		case <-time.After(5 * time.Second):
			t.Fatal("no batch within 5s")
			return nil
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNotifierAtomicSaveAndNewDirectory(t *testing.T) {
	dir, rules := testRules(t, "", project.WatchRule{Path: "src", Action: "sync", Target: "/app"})
	src := filepath.Join(dir, "src")
	next := startNotifier(t, rules)

	// An editor's atomic save: write a temporary file, rename it over.
	write(t, filepath.Join(src, ".index.html.swp"), "x")
	write(t, filepath.Join(src, "index.html.tmp"), "v2")
	if err := os.Rename(filepath.Join(src, "index.html.tmp"), filepath.Join(src, "index.html")); err != nil {
		t.Fatal(err)
	}
	batch := next()
	if _, ok := batch[filepath.Join(src, "index.html")]; !ok {
		t.Errorf("atomic save: batch %v lacks index.html", sortedKeys(batch))
	}
	if _, ok := batch[filepath.Join(src, ".index.html.swp")]; ok {
		t.Errorf("editor swap file in batch %v", sortedKeys(batch))
	}

	// A new directory, with files created right after it: the directory
	// is in the batch (and copied whole), later files are watched too.
	write(t, filepath.Join(src, "new", "deep", "a.txt"), "a")
	batch = next()
	if _, ok := batch[filepath.Join(src, "new")]; !ok {
		t.Errorf("new directory: batch %v lacks new", sortedKeys(batch))
	}
	write(t, filepath.Join(src, "new", "deep", "b.txt"), "b")
	batch = next()
	if _, ok := batch[filepath.Join(src, "new", "deep", "b.txt")]; !ok {
		t.Errorf("file in new directory: batch %v lacks it", sortedKeys(batch))
	}
}

func TestNotifierBurstIsOneBatch(t *testing.T) {
	dir, rules := testRules(t, "", project.WatchRule{Path: "src", Action: "sync", Target: "/app"})
	src := filepath.Join(dir, "src")
	next := startNotifier(t, rules)
	start := time.Now()
	for i := range 1000 {
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%04d", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote 1000 files in %v", time.Since(start))
	got := map[string]Op{}
	batches := 0
	for len(got) < 1000 {
		batches++
		batch := next()
		for k, v := range batch {
			got[k] = v
		}
	}
	if len(got) != 1000 {
		t.Errorf("burst: %d paths, want 1000", len(got))
	}
	t.Logf("1000 files in %d batches", batches)
}

// TestSyncTarKeepsModesAndSkipsIgnored packs a directory and checks
// the entries, their container paths and modes.
func TestSyncTarKeepsModesAndSkipsIgnored(t *testing.T) {
	dir, rules := testRules(t, "", project.WatchRule{Path: "src", Action: "sync", Target: "/app", Ignore: []string{"**/*.log"}})
	src := filepath.Join(dir, "src")
	write(t, filepath.Join(src, "d", "run.sh"), "#!/bin/sh\n")
	os.Chmod(filepath.Join(src, "d", "run.sh"), 0o755)
	write(t, filepath.Join(src, "d", "x.log"), "log")
	os.Symlink("run.sh", filepath.Join(src, "d", "link"))
	stream, files, err := syncTar([]Copy{{Host: filepath.Join(src, "d"), Container: "/app/d", rule: rules[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if files != 1 {
		t.Errorf("files = %d, want 1", files)
	}
	var got []string
	tr := tar.NewReader(bytes.NewReader(stream))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %o %s", h.Name, h.Mode&0o777, h.Linkname))
	}
	sort.Strings(got)
	want := []string{"app/ 755 ", "app/d/ 755 ", "app/d/link 777 run.sh", "app/d/run.sh 755 "}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tar entries:\n got %q\nwant %q", got, want)
	}
}
