// Package cliplugin finds the Docker CLI's plugins (docker-NAME) as the
// Docker CLI does: in the user's cli-plugins directory, then the system's.
package cliplugin

import (
	"os"
	"path/filepath"

	"github.com/mycompose/mycompose/internal/environ"
)

// Dirs are the Docker CLI's plugin directories for the environment env,
// the user's first ($DOCKER_CONFIG/cli-plugins, else ~/.docker/cli-plugins).
func Dirs(env []string) []string {
	cfg := environ.Get(env, "DOCKER_CONFIG")
	if cfg == "" {
		if home := environ.Get(env, "HOME"); home != "" {
			cfg = filepath.Join(home, ".docker")
		}
	}
	var dirs []string
	if cfg != "" {
		dirs = append(dirs, filepath.Join(cfg, "cli-plugins"))
	}
	return append(dirs, "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
		"/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")
}

// Find returns the path of the plugin docker-NAME, or "".
func Find(env []string, name string) string {
	for _, dir := range Dirs(env) {
		if p := filepath.Join(dir, "docker-"+name); Executable(p) {
			return p
		}
	}
	return ""
}

// Executable reports whether path is a regular file someone may execute.
func Executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
