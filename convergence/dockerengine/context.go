package dockerengine

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/connhelper"
	dcontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/docker/docker/client"

	"github.com/mycompose/mycompose/convergence/hostfiles"
	procenv "github.com/mycompose/mycompose/internal/environ"
)

// Environment variables that choose the engine, as with the docker CLI.
const (
	EnvHost      = "DOCKER_HOST"
	EnvContext   = "DOCKER_CONTEXT"
	EnvConfig    = "DOCKER_CONFIG"
	EnvTLSVerify = "DOCKER_TLS_VERIFY"
	EnvCertPath  = "DOCKER_CERT_PATH"
)

// contextsDir is the context store inside the config directory.
const contextsDir = "contexts"

// DefaultContext is the name of the context that stands for DOCKER_HOST (or
// the local socket); it is never stored.
const DefaultContext = "default"

// Selection says how the user chose the engine: the -H/--host and --context
// flags and the environment (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG,
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, HOME).
type Selection struct {
	Host    string
	Context string
	Environ []string
}

// Resolved is the engine endpoint a Selection names.
type Resolved struct {
	// Host is the endpoint URL: unix://, tcp://, ssh://, ...
	Host string
	// Context is the docker context used; "" when none was involved.
	Context string
	// Source says what chose the endpoint: "--host", "--context",
	// "DOCKER_HOST", "DOCKER_CONTEXT", the config file's currentContext, or
	// "default".
	Source        string
	SkipTLSVerify bool
	TLS           *dcontext.TLSData
}

// String names the endpoint and what chose it, for messages:
// `context "remote" (from DOCKER_CONTEXT)`, `tcp://10.0.0.2:2376 (from --host)`.
func (r Resolved) String() string {
	if r.Context != "" {
		return fmt.Sprintf("docker context %q (from %s)", r.Context, r.Source)
	}
	return fmt.Sprintf("%s (from %s)", r.Host, r.Source)
}

// Why says what chose the endpoint, for messages that already name its URL:
// `docker context "remote", from DOCKER_CONTEXT`, `from --host`; "" for the
// default socket.
func (r Resolved) Why() string {
	switch {
	case r.Context != "":
		return fmt.Sprintf("docker context %q, from %s", r.Context, r.Source)
	case r.Source == "default":
		return ""
	}
	return "from " + r.Source
}

// Resolve picks the endpoint with the docker CLI's precedence: --host, then
// --context, then DOCKER_HOST, then DOCKER_CONTEXT, then the currentContext
// of config.json, then the local socket. It reads the context store and the
// TLS files but does not contact the engine.
func Resolve(sel Selection) (Resolved, error) {
	env := envMap(sel.Environ)
	switch {
	case sel.Host != "":
		return hostEndpoint(sel.Host, "--host", env)
	case sel.Context != "":
		return contextEndpoint(sel.Context, "--context", env)
	case env[EnvHost] != "":
		return hostEndpoint(env[EnvHost], EnvHost, env)
	case env[EnvContext] != "":
		return contextEndpoint(env[EnvContext], EnvContext, env)
	}
	dir := configDir(env)
	cf, err := config.Load(dir)
	if err != nil {
		return Resolved{}, fmt.Errorf("read the docker CLI configuration in %s: %w", dir, err)
	}
	if cf.CurrentContext != "" {
		return contextEndpoint(cf.CurrentContext, "currentContext in "+filepath.Join(dir, config.ConfigFileName), env)
	}
	return hostEndpoint(client.DefaultDockerHost, "default", env)
}

// ContextNames lists the contexts of the store in the config directory
// (DOCKER_CONFIG, else ~/.docker), "default" first.
func ContextNames(environ []string) ([]string, error) {
	return contextNames(envMap(environ))
}

func contextNames(env map[string]string) ([]string, error) {
	names, err := store.Names(contextStore(env))
	if err != nil {
		return []string{DefaultContext}, err
	}
	sort.Strings(names)
	return append([]string{DefaultContext}, names...), nil
}

// Open resolves the selection and returns a client for it. Like New, it
// does not contact the engine: call Ping for that.
func Open(sel Selection) (*Engine, error) {
	r, err := Resolve(sel)
	if err != nil {
		return nil, err
	}
	ep := docker.Endpoint{EndpointMeta: docker.EndpointMeta{Host: r.Host, SkipTLSVerify: r.SkipTLSVerify}, TLSData: r.TLS}
	opts, err := ep.ClientOpts()
	if err == nil {
		var cli *client.Client
		live := &liveness{helper: helperScheme(r.Host)}
		if cli, err = client.NewClientWithOpts(append(opts, live.trackConns)...); err == nil {
			e := &Engine{cli: cli, endpoint: r.Host, source: r.Why(), live: live}
			if strings.HasPrefix(r.Host, "unix://") && procenv.Get(sel.Environ, EnvSecretsDelivery) != "copy" {
				// A local engine sees this host's files: secrets and
				// configs are bind-mounted from a private tmpfs directory.
				// (A unix socket forwarded from another machine does
				// not: MYCOMPOSE_SECRETS_DELIVERY=copy copies them in.)
				e.files = hostfiles.New(sel.Environ)
			}
			return e, nil
		}
	}
	return nil, fmt.Errorf("configure Docker engine client for %s: %w", r, err)
}

// Source says what chose the endpoint (see Resolved.Why): "" for the
// default socket and for engines made otherwise.
func (e *Engine) Source() string { return e.source }

// hostEndpoint is an endpoint given as a URL (or the default socket); TLS
// comes from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as with the docker CLI
// and the SDK: DOCKER_TLS_VERIFY turns on verified TLS with the certificates
// of DOCKER_CERT_PATH (default: the config directory); DOCKER_CERT_PATH alone
// turns on TLS without verification.
func hostEndpoint(host, source string, env map[string]string) (Resolved, error) {
	r := Resolved{Host: host, Source: source}
	verify, certPath := env[EnvTLSVerify] != "", env[EnvCertPath]
	if !verify && certPath == "" {
		return r, nil
	}
	if certPath == "" {
		certPath = configDir(env)
	}
	r.SkipTLSVerify = !verify
	var files [3]string
	for i, name := range []string{"ca.pem", "cert.pem", "key.pem"} {
		if p := filepath.Join(certPath, name); fileExists(p) {
			files[i] = p
		}
	}
	tls, err := dcontext.TLSDataFromFiles(files[0], files[1], files[2])
	if err != nil {
		return Resolved{}, fmt.Errorf("read the TLS certificates of %s (from %s) in %s: %w", host, source, certPath, err)
	}
	r.TLS = tls
	return r, nil
}

// contextEndpoint reads a context from the store in the config directory.
// The "default" context is DOCKER_HOST or the local socket.
func contextEndpoint(name, source string, env map[string]string) (Resolved, error) {
	if name == DefaultContext {
		host := env[EnvHost]
		if host == "" {
			host = client.DefaultDockerHost
		}
		r, err := hostEndpoint(host, source, env)
		r.Context = DefaultContext
		return r, err
	}
	s := contextStore(env)
	meta, err := s.GetMetadata(name)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return Resolved{}, unknownContext(name, source, env)
		}
		return Resolved{}, fmt.Errorf("read docker context %q (from %s): %w", name, source, err)
	}
	epMeta, err := docker.EndpointFromContext(meta)
	if err != nil {
		return Resolved{}, fmt.Errorf("docker context %q (from %s) has no Docker endpoint: %w", name, source, err)
	}
	ep, err := docker.WithTLSData(s, name, epMeta)
	if err != nil {
		return Resolved{}, fmt.Errorf("read the TLS data of docker context %q (from %s): %w", name, source, err)
	}
	if ep.Host == "" {
		return Resolved{}, fmt.Errorf("docker context %q (from %s) has an empty Docker endpoint host", name, source)
	}
	return Resolved{Host: ep.Host, Context: name, Source: source, SkipTLSVerify: ep.SkipTLSVerify, TLS: ep.TLSData}, nil
}

func unknownContext(name, source string, env map[string]string) error {
	dir := filepath.Join(configDir(env), contextsDir)
	names, err := contextNames(env)
	if err != nil {
		return errors.Join(fmt.Errorf("docker context %q (from %s) does not exist in %s", name, source, dir), err)
	}
	return fmt.Errorf("docker context %q (from %s) does not exist in %s: available contexts: %s (see `docker context ls`)",
		name, source, dir, strings.Join(names, ", "))
}

func contextStore(env map[string]string) *store.ContextStore {
	cfg := store.NewConfig(nil, store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }))
	return store.New(filepath.Join(configDir(env), contextsDir), cfg)
}

// configDir is DOCKER_CONFIG, else ~/.docker.
func configDir(env map[string]string) string {
	if d := env[EnvConfig]; d != "" {
		return d
	}
	if home := env["HOME"]; home != "" {
		return filepath.Join(home, ".docker")
	}
	return config.Dir()
}

// envMap turns KEY=VALUE pairs into a map; later entries win.
func envMap(kv []string) map[string]string {
	m := make(map[string]string, len(kv))
	for _, e := range kv {
		if k, v, ok := strings.Cut(e, "="); ok {
			m[k] = v
		}
	}
	return m
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// EnvSecretsDelivery set to "copy" makes secrets and configs be copied into
// containers even on a unix socket (one forwarded from another machine).
const EnvSecretsDelivery = "MYCOMPOSE_SECRETS_DELIVERY"

// helperScheme is the scheme of host when its connections go through a
// connection helper (ssh), "" otherwise.
func helperScheme(host string) string {
	if h, err := connhelper.GetConnectionHelper(host); err != nil || h == nil {
		return ""
	}
	u, err := url.Parse(host)
	if err != nil {
		return ""
	}
	return u.Scheme
}
