package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestPullLogIgnoresRelativeCacheHome(t *testing.T) {
	home := t.TempDir()
	l := openPullLog(&Deps{Environ: []string{"XDG_CACHE_HOME=rel/cache", "HOME=" + home}}, "unix:///x.sock")
	if want := filepath.Join(home, ".cache", "mycompose", "pulls.json"); l.path != want {
		t.Errorf("path %q, want %q", l.path, want)
	}
	if l := openPullLog(&Deps{Environ: []string{"XDG_CACHE_HOME=rel", "HOME=rel"}}, "e"); l.path != "" {
		t.Errorf("relative HOME used: %q", l.path)
	}
}

// TestPullLogConcurrentSavesMerge: runs saving at the same time keep every
// entry.
func TestPullLogConcurrentSavesMerge(t *testing.T) {
	deps := &Deps{Environ: []string{"XDG_CACHE_HOME=" + t.TempDir()}, Stderr: io.Discard}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l := openPullLog(deps, "unix:///x.sock")
			l.Record(fmt.Sprintf("img%d", i), "sha256:x", time.Now())
			l.save(deps)
		}(i)
	}
	wg.Wait()
	f, err := readPullLog(openPullLog(deps, "unix:///x.sock").path)
	if err != nil || len(f.Engines["unix:///x.sock"]) != 16 {
		t.Errorf("entries after 16 concurrent saves: %d (%v)", len(f.Engines["unix:///x.sock"]), err)
	}
}
