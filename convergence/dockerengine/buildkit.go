package dockerengine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/cli/cli/config"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/moby/buildkit/solver/pb"
	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// buildkit returns a BuildKit client of the engine's built-in BuildKit,
// reached as docker buildx's docker driver reaches it: gRPC over the
// engine's /grpc endpoint, build sessions over /session. The answer (a
// client, or the error that sends builds to the classic builder) is kept
// for the Engine's life.
func (e *Engine) buildkit(ctx context.Context) (*bkclient.Client, error) {
	e.bkMu.Lock()
	defer e.bkMu.Unlock()
	if e.bk != nil || e.bkErr != nil {
		return e.bk, e.bkErr
	}
	c, err := bkclient.New(ctx, "",
		bkclient.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return e.cli.DialHijack(ctx, "/grpc", "h2c", nil)
		}),
		bkclient.WithSessionDialer(func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return e.cli.DialHijack(ctx, "/session", proto, meta)
		}))
	if err == nil {
		probe, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = c.ListWorkers(probe)
		cancel()
		if err != nil {
			c.Close()
		}
	}
	if err != nil {
		if ctx.Err() == nil { // a cancelled probe says nothing about the engine
			e.bkErr = err
		}
		return nil, err
	}
	e.bk = c
	return c, nil
}

// buildWithBuildKit runs one solve. The Dockerfile frontend runs here, in
// mycompose (BuildKit's own, vendored), against the engine's solver: the
// engine's built-in frontend is older than the Dockerfile syntax people
// write (named contexts, for one), and a `# syntax=` line would need a
// registry.
func (e *Engine) buildWithBuildKit(ctx context.Context, c *bkclient.Client, req convergence.BuildRequest, progress func(convergence.BuildProgress)) (string, error) {
	tag := req.Tags[0]
	opt, cleanup, err := solveOpt(req)
	if err != nil {
		return "", fmt.Errorf("build image %q: %w", tag, err)
	}
	defer cleanup()
	tracker := newStepTracker(progress)
	ch := make(chan *bkclient.SolveStatus)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for st := range ch {
			tracker.update(st)
		}
	}()
	resp, err := c.Build(ctx, opt, "mycompose", frontend(req.Build), ch)
	<-done
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("build image %q: %w", tag, ctx.Err())
		}
		if msg := tracker.failure(); msg != "" {
			return "", fmt.Errorf("build image %q: %s", tag, msg)
		}
		return "", fmt.Errorf("build image %q: %s", tag, buildkitMessage(err))
	}
	id := resp.ExporterResponse["containerimage.digest"]
	if id == "" {
		return "", fmt.Errorf("build image %q: the engine reported no image", tag)
	}
	return id, nil
}

// buildkitMessage is err without BuildKit's gRPC wrapping.
func buildkitMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{"failed to solve: ", "rpc error: code = Unknown desc = "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// errEngineBuildKit marks a build key the engine's BuildKit cannot honour.
var errEngineBuildKit = errors.New("not supported by the engine's BuildKit")

// frontend is BuildKit's Dockerfile frontend, after refusing the keys the
// engine's solver would silently drop (its capabilities say which).
func frontend(b *project.Build) gateway.BuildFunc {
	return func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		caps := c.BuildOpts().LLBCaps
		if b.ShmSize > 0 && caps.Supports(pb.CapExecMountTmpfsSize) != nil {
			return nil, fmt.Errorf("build.shm_size is %w (it needs Docker Engine 23 or newer)", errEngineBuildKit)
		}
		if len(b.Ulimits) > 0 && caps.Supports(pb.CapExecMetaUlimit) != nil {
			return nil, fmt.Errorf("build.ulimits is %w (it needs Docker Engine 23 or newer)", errEngineBuildKit)
		}
		return builder.Build(ctx, c)
	}
}

// solveOpt maps the build onto BuildKit's solve options: the local
// directories it may read, the frontend's attributes, the session's
// secrets, ssh agents and registry credentials, and the image export.
func solveOpt(req convergence.BuildRequest) (bkclient.SolveOpt, func(), error) {
	b := req.Build
	cleanup := func() {}
	opt := bkclient.SolveOpt{
		LocalMounts:   map[string]fsutil.FS{},
		FrontendAttrs: frontendAttrs(req),
		Exports: []bkclient.ExportEntry{{Type: "moby", Attrs: map[string]string{
			"name": strings.Join(req.Tags, ","),
		}}},
	}
	if b.Remote != "" {
		opt.FrontendAttrs["context"] = b.Remote
	} else {
		ctxFS, err := localFS(b.Context)
		if err != nil {
			return opt, cleanup, err
		}
		opt.LocalMounts["context"] = ctxFS
		dir, name, clean, err := dockerfileDir(b)
		if err != nil {
			return opt, cleanup, err
		}
		cleanup = clean
		dfFS, err := fsutil.NewFS(dir)
		if err != nil {
			cleanup()
			return opt, func() {}, err
		}
		opt.LocalMounts["dockerfile"] = dfFS
		opt.FrontendAttrs["filename"] = name
	}
	names := make([]string, 0, len(b.AdditionalContexts))
	for n := range b.AdditionalContexts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := b.AdditionalContexts[n]
		if filepath.IsAbs(v) {
			fs, err := localFS(v)
			if err != nil {
				cleanup()
				return opt, func() {}, fmt.Errorf("additional context %q: %w", n, err)
			}
			opt.LocalMounts["ctx-"+n] = fs
			v = "local:ctx-" + n
		}
		opt.FrontendAttrs["context:"+n] = v
	}
	for _, e := range b.CacheFrom {
		opt.CacheImports = append(opt.CacheImports, cacheEntry(e))
	}
	for _, e := range b.CacheTo {
		opt.CacheExports = append(opt.CacheExports, cacheEntry(e))
	}
	if b.Network == "host" || contains(b.Entitlements, "network.host") {
		opt.AllowedEntitlements = append(opt.AllowedEntitlements, "network.host")
	}
	if b.Privileged || contains(b.Entitlements, "security.insecure") {
		opt.AllowedEntitlements = append(opt.AllowedEntitlements, "security.insecure")
	}
	attachables, err := sessionAttachables(b)
	if err != nil {
		cleanup()
		return opt, func() {}, err
	}
	opt.Session = attachables
	return opt, cleanup, nil
}

// frontendAttrs are the Dockerfile frontend's options, as docker buildx
// sets them.
func frontendAttrs(req convergence.BuildRequest) map[string]string {
	b := req.Build
	attrs := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			attrs[k] = v
		}
	}
	set("target", b.Target)
	set("platform", req.Platform)
	for k, v := range b.Args {
		attrs["build-arg:"+k] = v
	}
	for k, v := range b.Labels {
		attrs["label:"+k] = v
	}
	switch {
	case b.NoCache:
		attrs["no-cache"] = ""
	case len(b.NoCacheFilter) > 0:
		// The Dockerfile frontend's stage list: only these skip the cache.
		attrs["no-cache"] = strings.Join(b.NoCacheFilter, ",")
	}
	if b.Pull {
		attrs["image-resolve-mode"] = "pull"
	}
	// As buildx's --attest type=provenance,mode=max: the frontend takes the
	// options after the type; "true" is the default attestation.
	for _, a := range []struct{ kind, v string }{{"provenance", b.Provenance}, {"sbom", b.SBOM}} {
		if convergence.Attests(a.v) {
			opts := a.v
			if opts == "true" {
				opts = ""
			}
			attrs["attest:"+a.kind] = opts
		}
	}
	if b.Network == "host" || b.Network == "none" {
		attrs["force-network-mode"] = b.Network
	}
	var hosts []string
	for _, h := range b.ExtraHosts {
		if name, ip, ok := strings.Cut(h, ":"); ok {
			hosts = append(hosts, name+"="+ip)
		}
	}
	set("add-hosts", strings.Join(hosts, ","))
	if b.ShmSize > 0 {
		attrs["shm-size"] = strconv.FormatInt(b.ShmSize, 10)
	}
	var ulimits []string
	for _, u := range b.Ulimits {
		ulimits = append(ulimits, fmt.Sprintf("%s=%d:%d", u.Name, u.Soft, u.Hard))
	}
	set("ulimit", strings.Join(ulimits, ","))
	return attrs
}

// localFS is dir as the builder reads it: owned by root, as docker build
// sends a context (host UIDs mean nothing in an image).
func localFS(dir string) (fsutil.FS, error) {
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("build context %q is not a directory", dir)
	}
	fs, err := fsutil.NewFS(dir)
	if err != nil {
		return nil, err
	}
	return fsutil.NewFilterFS(fs, &fsutil.FilterOpt{Map: func(_ string, st *fstypes.Stat) fsutil.MapResult {
		st.Uid, st.Gid = 0, 0
		return fsutil.MapResultKeep
	}})
}

// dockerfileDir is the directory the frontend reads the Dockerfile from
// and its name there. A dockerfile_inline is written to a private
// temporary directory, removed by the cleanup function.
func dockerfileDir(b *project.Build) (dir, name string, cleanup func(), err error) {
	if b.DockerfileInline != "" {
		dir, err := os.MkdirTemp("", "mycompose-dockerfile-")
		if err != nil {
			return "", "", nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(b.DockerfileInline), 0o600); err != nil {
			os.RemoveAll(dir)
			return "", "", nil, err
		}
		return dir, "Dockerfile", func() { os.RemoveAll(dir) }, nil
	}
	df := b.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if !filepath.IsAbs(df) {
		df = filepath.Join(b.Context, df)
	}
	if _, err := os.Stat(df); err != nil {
		return "", "", nil, fmt.Errorf("Dockerfile %q not found", df)
	}
	return filepath.Dir(df), filepath.Base(df), func() {}, nil
}

// cacheEntry parses a cache_from/cache_to entry; a bare reference is a
// registry cache.
func cacheEntry(e string) bkclient.CacheOptionsEntry {
	if !strings.Contains(e, "=") {
		return bkclient.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": e}}
	}
	out := bkclient.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{}}
	for _, f := range strings.Split(e, ",") {
		k, v, _ := strings.Cut(f, "=")
		if k = strings.TrimSpace(k); k == "type" {
			out.Type = strings.TrimSpace(v)
		} else {
			out.Attrs[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// sessionAttachables serve what the build asks for while it runs: build
// secrets (from memory or their file, never written anywhere), ssh agents
// or keys, and registry credentials from the docker CLI configuration.
func sessionAttachables(b *project.Build) ([]session.Attachable, error) {
	out := []session.Attachable{
		authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{ConfigFile: config.LoadDefaultConfigFile(os.Stderr)}),
	}
	if len(b.Secrets) > 0 {
		out = append(out, secretsprovider.NewSecretProvider(secretStore(b.Secrets)))
	}
	if len(b.SSH) > 0 {
		var confs []sshprovider.AgentConfig
		for _, s := range b.SSH {
			confs = append(confs, sshprovider.AgentConfig{ID: s.ID, Paths: s.Paths})
		}
		p, err := sshprovider.NewSSHAgentProvider(confs)
		if err != nil {
			return nil, fmt.Errorf("build.ssh: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// secretStore answers the builder's secret requests.
type secretStore []project.BuildSecret

func (s secretStore) GetSecret(_ context.Context, id string) ([]byte, error) {
	for _, sec := range s {
		if sec.ID != id {
			continue
		}
		if sec.File != "" {
			return os.ReadFile(sec.File)
		}
		return sec.Content, nil
	}
	return nil, fmt.Errorf("build secret %q: %w", id, secrets.ErrNotFound)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
