package loader

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
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
	out := &project.Build{
		DockerfileInline: b.DockerfileInline, Target: b.Target,
		Labels: copyMap(b.Labels), NoCache: b.NoCache, Pull: b.Pull,
		NoCacheFilter: append([]string(nil), b.NoCacheFilter...),
		Provenance:    b.Provenance,
		SBOM:          b.SBOM,
		AttestWhere:   c.attestWhere(s),
		Tags:          append([]string(nil), b.Tags...), Platforms: append([]string(nil), b.Platforms...),
		CacheFrom: append([]string(nil), b.CacheFrom...), CacheTo: append([]string(nil), b.CacheTo...),
		Network: b.Network, ShmSize: int64(b.ShmSize), Isolation: b.Isolation,
		Privileged: b.Privileged, Entitlements: append([]string(nil), b.Entitlements...),
		Ulimits: ulimits(b.Ulimits),
	}
	if isRemoteContext(b.Context) {
		out.Remote = b.Context
	} else {
		out.Context = b.Context
		if out.Context == "" {
			out.Context = "."
		}
		if !filepath.IsAbs(out.Context) {
			out.Context = filepath.Join(c.cp.WorkingDir, out.Context)
		}
	}
	if b.Dockerfile != "" && b.DockerfileInline == "" {
		out.Dockerfile = b.Dockerfile
		if filepath.IsAbs(b.Dockerfile) && out.Context != "" {
			if rel, err := filepath.Rel(out.Context, b.Dockerfile); err == nil {
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
	out.ExtraHosts = extraHosts(b.ExtraHosts)
	if len(b.AdditionalContexts) > 0 {
		out.AdditionalContexts = map[string]string{}
		for k, v := range b.AdditionalContexts {
			out.AdditionalContexts[k] = v
		}
	}
	for _, k := range b.SSH {
		e := project.BuildSSH{ID: k.ID}
		if k.Path != "" {
			e.Paths = []string{k.Path}
		}
		out.SSH = append(out.SSH, e)
	}
	sort.Slice(out.SSH, func(i, j int) bool { return out.SSH[i].ID < out.SSH[j].ID })
	out.Secrets = c.buildSecrets(s)
	c.checkBuild(s.Name, out)
	return out
}

// isRemoteContext reports a build context the builder fetches itself, as
// BuildKit tells them apart: a git or http(s) URL.
func isRemoteContext(ctx string) bool {
	for _, p := range []string{"https://", "http://", "git://", "ssh://", "github.com/", "git@"} {
		if strings.HasPrefix(ctx, p) {
			return true
		}
	}
	return false
}

// buildSecrets maps build.secrets to the secrets handed to the builder;
// their ID is the target when set, as in Docker Compose.
func (c *converter) buildSecrets(s types.ServiceConfig) []project.BuildSecret {
	var out []project.BuildSecret
	for i, ref := range s.Build.Secrets {
		at := []string{"build", "secrets", strconv.Itoa(i)}
		top, ok := c.cp.Secrets[ref.Source]
		if !ok {
			continue // compose-go reports undefined secrets
		}
		id := ref.Target
		if id == "" {
			id = ref.Source
		}
		if ref.UID != "" || ref.GID != "" || ref.Mode != nil {
			// BuildKit takes a secret mount's owner and mode from the
			// Dockerfile only; Docker Compose passes them on nowhere either.
			c.warnings = append(c.warnings, fmt.Sprintf("service %q: build.secrets[%d] (%s): uid, gid and mode have no effect on a build secret: set them on the Dockerfile's RUN --mount=type=secret,id=%s,uid=...,gid=...,mode=...", s.Name, i, ref.Source, id))
		}
		switch {
		case bool(top.External):
			c.serviceRefuse(s.Name, at, "secret %q is external: a build secret needs file: or environment:", ref.Source)
		case top.File != "":
			out = append(out, project.BuildSecret{ID: id, File: top.File})
		case top.Environment != "" || top.Content != "":
			out = append(out, project.BuildSecret{ID: id, Content: []byte(top.Content)})
		default:
			c.serviceRefuse(s.Name, at, "secret %q has no file:, environment: or content:", ref.Source)
		}
	}
	return out
}

// checkBuild refuses the values the engine's built-in BuildKit cannot
// honour, with what to do instead.
func (c *converter) checkBuild(svc string, b *project.Build) {
	for i, e := range b.CacheTo {
		if t := cacheType(e); t != "inline" {
			c.serviceRefuse(svc, []string{"build", "cache_to", strconv.Itoa(i)}, "cache type %q is not supported: the Docker engine's built-in BuildKit exports only inline cache (type=inline, read back with cache_from: [IMAGE])", t)
		}
	}
	for i, e := range b.CacheFrom {
		if t := cacheType(e); t != "registry" && t != "local" {
			c.serviceRefuse(svc, []string{"build", "cache_from", strconv.Itoa(i)}, "cache type %q is not supported: the Docker engine's built-in BuildKit imports registry (an image reference) and local caches", t)
		}
	}
	switch b.Network {
	case "", "default", "host", "none":
	default:
		c.serviceRefuse(svc, []string{"build", "network"}, "network %q is not supported for builds: BuildKit runs build steps on the default network, host or none", b.Network)
	}
	if len(b.Platforms) > 1 {
		c.serviceRefuse(svc, []string{"build", "platforms"}, "%d platforms: the engine's image store keeps one platform per image; list one platform (or set platform:) and build the others with docker buildx", len(b.Platforms))
	}
	switch b.Isolation {
	case "", "default":
	default:
		c.serviceRefuse(svc, []string{"build", "isolation"}, "isolation %q is a Windows engine option; Linux builds accept only \"default\"", b.Isolation)
	}
	for i, e := range b.Entitlements {
		if e != "network.host" && e != "security.insecure" {
			c.serviceRefuse(svc, []string{"build", "entitlements", strconv.Itoa(i)}, "entitlement %q is unknown: use network.host or security.insecure", e)
		}
	}
	for name, v := range b.AdditionalContexts {
		if !filepath.IsAbs(v) && !strings.Contains(v, "://") && !strings.HasPrefix(v, types.ServicePrefix) && !isRemoteContext(v) {
			c.serviceRefuse(svc, []string{"build", "additional_contexts", name}, "context %q: %q is neither a directory, a URL, docker-image://REF nor service:NAME", name, v)
		}
		if v == types.ServicePrefix+svc {
			c.serviceRefuse(svc, []string{"build", "additional_contexts", name}, "context %q names the service itself", name)
		}
	}
}

// cacheType is the type of a cache_from/cache_to entry: a bare reference
// is a registry cache.
func cacheType(e string) string {
	if !strings.Contains(e, "=") {
		return "registry"
	}
	for _, f := range strings.Split(e, ",") {
		if k, v, ok := strings.Cut(f, "="); ok && strings.TrimSpace(k) == "type" {
			return strings.TrimSpace(v)
		}
	}
	return "registry"
}

// defaultImageName is the image a service with build: and no image: gets:
// "<project>-<service>", as Docker Compose names it.
func defaultImageName(projectName, service, separator string) string {
	if separator == "" {
		separator = "-"
	}
	return strings.ToLower(projectName + separator + service)
}

// attestWhere locates build.provenance (else build.sbom) for the engine's
// refusal.
func (c *converter) attestWhere(s types.ServiceConfig) string {
	for _, k := range []string{"provenance", "sbom"} {
		if where := c.locate([]string{"services", s.Name, "build", k}); where != "" {
			return where
		}
	}
	return ""
}
