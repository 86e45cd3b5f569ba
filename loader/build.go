package loader

import (
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mycompose/mycompose/project"
)

// build maps build: to the engine build the service needs, or nil.
func (c *converter) build(s types.ServiceConfig) *project.Build {
	b := s.Build
	if b == nil {
		return nil
	}
	ctx := b.Context
	if ctx == "" {
		ctx = "."
	}
	if !filepath.IsAbs(ctx) {
		ctx = filepath.Join(c.cp.WorkingDir, ctx)
	}
	if strings.Contains(ctx, "://") || strings.HasPrefix(b.Context, "git@") {
		c.serviceRefuse(s.Name, []string{"build", "context"}, "remote build context %q is not supported by mycompose: use a local directory", b.Context)
	}
	out := &project.Build{
		Context: ctx, DockerfileInline: b.DockerfileInline, Target: b.Target,
		Labels: copyMap(b.Labels), NoCache: b.NoCache, Pull: b.Pull,
	}
	if b.Dockerfile != "" && b.DockerfileInline == "" {
		out.Dockerfile = b.Dockerfile
		if filepath.IsAbs(b.Dockerfile) {
			if rel, err := filepath.Rel(ctx, b.Dockerfile); err == nil {
				out.Dockerfile = rel
			}
		}
	}
	if len(b.Args) > 0 {
		out.Args = map[string]string{}
		for k, v := range b.Args {
			if v != nil {
				out.Args[k] = *v
			}
		}
	}
	return out
}

// defaultImageName is the image a service with build: and no image: gets:
// "<project>-<service>", as Docker Compose names it.
func defaultImageName(projectName, service string) string {
	return strings.ToLower(projectName + "-" + service)
}
