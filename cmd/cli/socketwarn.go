package cli

import (
	"fmt"
	"io"
	"net/url"
	"path/filepath"

	"github.com/mycompose/mycompose/project"
)

// engineSockets are the host paths of the engine's socket when the endpoint
// is a local unix socket (DOCKER_HOST, -H or the context), besides the
// defaults project.EngineSocketMounts always checks.
func engineSockets(endpoint string) []string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "unix" {
		return nil
	}
	return []string{filepath.Clean(u.Host + u.Path)}
}

// resolveHostPath resolves a host path's symlinks; a path that does not
// exist (yet) is returned as it is.
func resolveHostPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// warnSocketMounts warns about the services that can reach the engine's
// socket (see project.EngineSocketMounts).
func warnSocketMounts(w io.Writer, p *project.Project, endpoint string) {
	for _, s := range p.EngineSocketMounts(engineSockets(endpoint), resolveHostPath) {
		fmt.Fprintf(w, "WARN[0000] service %q mounts the Docker engine socket (or a directory above it): its containers control the engine, which grants root on the host\n", s)
	}
}

// warnOneOffSocketMount warns when `run -v` mounts the engine's socket.
func warnOneOffSocketMount(w io.Writer, mounts []project.Mount, endpoint string) {
	for _, m := range mounts {
		if m.Type == project.MountBind && project.MountReachesSocket(m.Source, engineSockets(endpoint), resolveHostPath) {
			fmt.Fprintf(w, "WARN[0000] %s mounts the Docker engine socket (or a directory above it): the container controls the engine, which grants root on the host\n", m.Source)
			return
		}
	}
}
