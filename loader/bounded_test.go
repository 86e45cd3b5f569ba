package loader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// laughs is a "billion laughs" document: each level repeats the previous
// one nine times.
func laughs() string {
	var b strings.Builder
	b.WriteString("x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString("x-" + n + ": &" + n + " [")
		for i := 0; i < 9; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = n
	}
	b.WriteString("services:\n  bomb:\n    image: busybox\n    labels: {x: y}\n")
	return b.String()
}

// TestAliasBombRefusedThroughIncludeAndExtends: the guard covers included
// and extended files, not only the -f ones.
func TestAliasBombRefusedThroughIncludeAndExtends(t *testing.T) {
	for name, compose := range map[string]string{
		"include":           "include:\n  - sub/bomb.yaml\nservices:\n  app: {image: busybox}\n",
		"include long form": "include:\n  - path: [sub/bomb.yaml]\nservices:\n  app: {image: busybox}\n",
		"extends":           "services:\n  app:\n    extends: {file: sub/bomb.yaml, service: bomb}\n",
		"nested include":    "include:\n  - sub/inc.yaml\nservices:\n  app: {image: busybox}\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := inlineDir(t, compose, map[string]string{
				"sub/bomb.yaml": laughs(),
				"sub/inc.yaml":  "include:\n  - bomb.yaml\n",
			})
			start := time.Now()
			_, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{}})
			if err == nil || !strings.Contains(err.Error(), "bomb.yaml") || !strings.Contains(err.Error(), "alias") {
				t.Fatalf("err = %v, want the alias bomb in bomb.yaml refused", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestAliasBombRefusedOnStdin(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bomb.yaml")
	os.WriteFile(path, []byte(laughs()), 0o644)
	f, _ := os.Open(path)
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	_, err := Load(context.Background(), Options{WorkDir: dir, Files: []string{"-"}, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "alias") {
		t.Fatalf("err = %v, want the alias bomb on stdin refused", err)
	}
}

// TestLoadStopsOnCancel: a load that does not finish returns as soon as its
// context is cancelled (SIGINT, SIGTERM).
func TestLoadStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	defer close(block)
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := whileLoading(ctx, func() (int, error) { <-block; return 1, nil })
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

// TestEnvExpansionBombCapped: a .env whose lines each repeat the previous
// variable is refused before compose-go expands it.
func TestEnvExpansionBombCapped(t *testing.T) {
	var env strings.Builder
	env.WriteString("A0=" + strings.Repeat("x", 100) + "\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&env, "A%d=${A%d}${A%d}${A%d}${A%d}\n", i, i-1, i-1, i-1, i-1)
	}
	dir := inlineDir(t, "services:\n  app: {image: busybox}\n", map[string]string{".env": env.String()})
	start := time.Now()
	_, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), ".env:") || !strings.Contains(err.Error(), "capped") {
		t.Fatalf("err = %v, want the .env bomb refused", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	// Ordinary references are fine.
	dir = inlineDir(t, "services:\n  app: {image: \"busybox:${TAG}\"}\n", map[string]string{".env": "V=1\nTAG=${V}.${V}\n"})
	p, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{}})
	if err != nil || p.Services[0].Container.Image != "busybox:1.1" {
		t.Fatalf("ordinary .env: %v", err)
	}
}

// TestFileSourcesReadOnlyWhenAsked: without ReadFiles (ps, config,
// completion) a file: secret is checked, not read.
func TestFileSourcesReadOnlyWhenAsked(t *testing.T) {
	dir := inlineDir(t, "services:\n  app:\n    image: busybox\n    secrets: [s]\nsecrets:\n  s: {file: ./s.txt}\n", map[string]string{"s.txt": "value"})
	os.Chmod(filepath.Join(dir, "s.txt"), 0o000)
	if os.Geteuid() != 0 {
		// An unreadable file proves it was not read.
		if _, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{}}); err != nil {
			t.Fatalf("an unreadable secret file was read: %v", err)
		}
	}
	os.Chmod(filepath.Join(dir, "s.txt"), 0o644)
	p, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{}})
	if err != nil || p.Services[0].Container.Files[0].Content != nil {
		t.Fatalf("content read without ReadFiles: %v", err)
	}
	p, err = Load(context.Background(), Options{WorkDir: dir, Environ: []string{}, ReadFiles: true, DigestKey: []byte("k")})
	if err != nil || string(p.Services[0].Container.Files[0].Content) != "value" || p.Services[0].Container.Files[0].Digest == "" {
		t.Fatalf("ReadFiles: %+v %v", p.Services[0].Container.Files, err)
	}
}
