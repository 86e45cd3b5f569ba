// Package environ reads a process environment given as KEY=VALUE lines, so
// that the packages that take one (for hermetic tests) share one lookup.
package environ

import (
	"os"
	"path/filepath"
	"strings"
)

// Get returns key's value in environ, the last KEY= winning as in the
// process environment; a nil environ is this process's environment.
func Get(environ []string, key string) string {
	if environ == nil {
		return os.Getenv(key)
	}
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// CacheDir returns mycompose's directory under the user's cache directory:
// $XDG_CACHE_HOME/mycompose, else $HOME/.cache/mycompose, read through get;
// "" when neither is an absolute path (a relative XDG_CACHE_HOME is
// ignored, as the XDG spec says: it would name a different directory in
// each working directory).
func CacheDir(get func(key string) string) string {
	if dir := get("XDG_CACHE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "mycompose")
	}
	if home := get("HOME"); filepath.IsAbs(home) {
		return filepath.Join(home, ".cache", "mycompose")
	}
	return ""
}
