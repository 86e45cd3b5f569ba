package loader

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestValidationCache checks that a load whose inputs were validated before
// skips validation and gives the same project, and that every input the
// validated model depends on (file bytes, referenced variables) makes a new
// entry while unreferenced variables do not.
func TestValidationCache(t *testing.T) {
	cache := t.TempDir()
	dir := inlineDir(t, "services:\n  web:\n    image: busybox:${TAG:-1}\n", nil)
	load := func(env ...string) error {
		t.Helper()
		_, err := Load(context.Background(), Options{WorkDir: dir, Environ: append([]string{"XDG_CACHE_HOME=" + cache}, env...)})
		return err
	}
	entries := func() int {
		data, _ := os.ReadFile(filepath.Join(cache, "mycompose", validcacheName))
		return len(strings.Fields(string(data)))
	}
	hits := func(f func() error) int64 {
		t.Helper()
		before := validcacheHits.Load()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		return validcacheHits.Load() - before
	}
	first, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{"XDG_CACHE_HOME=" + cache}})
	if err != nil {
		t.Fatal(err)
	}
	if n := entries(); n != 1 {
		t.Fatalf("%d cache entries after the first load, want 1", n)
	}
	before := validcacheHits.Load()
	again, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{"XDG_CACHE_HOME=" + cache, "UNRELATED=x"}})
	if err != nil {
		t.Fatal(err)
	}
	if validcacheHits.Load() == before {
		t.Error("the second load of the same inputs validated again")
	}
	if !reflect.DeepEqual(first, again) {
		t.Errorf("the cached load differs:\n%+v\n%+v", first, again)
	}
	if h := hits(func() error { return load("TAG=2") }); h != 0 || entries() != 2 {
		t.Errorf("a referenced variable's new value: %d hits, %d entries; want 0 and 2", h, entries())
	}
	if h := hits(func() error { return load("TAG=2") }); h != 1 {
		t.Errorf("the same value again: %d hits, want 1", h)
	}
	writeFiles(t, dir, map[string]string{"compose.yaml": "services:\n  web:\n    image: busybox:2\n"})
	if h := hits(func() error { return load() }); h != 0 || entries() != 3 {
		t.Errorf("changed file: %d hits, %d entries; want 0 and 3", h, entries())
	}
	// MYCOMPOSE_VALIDATION_CACHE=0 turns it off.
	if h := hits(func() error { return load(EnvValidationCache + "=0") }); h != 0 {
		t.Errorf("cache turned off: %d hits", h)
	}
}

// TestValidationCacheRefuses checks that what the digest cannot cover is
// never cached, and that an invalid file is never remembered: it fails with
// the same message every time.
func TestValidationCacheRefuses(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"version": {"compose.yaml": "version: '3'\nservices:\n  web:\n    image: busybox\n"},
		"include": {"compose.yaml": "include: [other.yaml]\nservices:\n  web:\n    image: busybox\n",
			"other.yaml": "services:\n  db:\n    image: busybox\n"},
		"extends": {"compose.yaml": "services:\n  web:\n    extends: {file: other.yaml, service: db}\n",
			"other.yaml": "services:\n  db:\n    image: busybox\n"},
		"invalid": {"compose.yaml": "services:\n  web:\n    image: busybox\n    ports: {a: b}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			dir := filepath.Join(t.TempDir(), "app")
			writeFiles(t, dir, files)
			var errs []string
			for range 2 {
				_, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{"XDG_CACHE_HOME=" + cache}})
				errs = append(errs, errString(err))
			}
			if _, err := os.Stat(filepath.Join(cache, "mycompose", validcacheName)); err == nil {
				t.Errorf("the load was cached")
			}
			if errs[0] != errs[1] {
				t.Errorf("two loads: %q then %q", errs[0], errs[1])
			}
			if name == "invalid" && errs[0] == "" {
				t.Errorf("the invalid file loaded")
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
