// Package environ reads a process environment given as KEY=VALUE lines, so
// that the packages that take one (for hermetic tests) share one lookup.
package environ

import (
	"os"
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
