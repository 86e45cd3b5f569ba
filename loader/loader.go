// Package loader turns compose files into mycompose's project model. It is
// the only package that imports compose-go: it loads, interpolates, merges
// and validates with compose-go exactly as Docker Compose v2 does, refuses
// the keys mycompose does not implement, and converts the rest into
// project.Project.
package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/mycompose/mycompose/project"
)

// Options are the project-level command line flags and the process context.
type Options struct {
	Files            []string // -f, in merge order; empty: COMPOSE_FILE or default lookup
	ProjectName      string   // -p
	ProjectDirectory string   // --project-directory
	Profiles         []string // --profile
	EnvFiles         []string // --env-file
	WorkDir          string   // the process cwd; "" = os.Getwd
	Environ          []string // the process environment as KEY=VALUE; nil = os.Environ()
	// ShowSecrets makes Render print environment values taken from
	// env_files; they are redacted otherwise.
	ShowSecrets bool
	// Services are the services named on the command line: they are
	// enabled, with their dependencies, even when their profiles are not
	// active (as Docker Compose does), and Render shows only them.
	Services []string
	// Render's switches, `config`'s --no-* flags: they skip a step of
	// loading. Load ignores them.
	NoInterpolate, NoNormalize, NoPathResolution, NoConsistency, NoEnvResolution bool
	// Swarm loads for a Swarm stack (--swarm): the deploy keys, secrets and
	// configs are kept (Service.Swarm, Project.Swarm), and the keys Swarm
	// cannot honour are refused.
	Swarm bool
	// ReadFiles reads the content of secrets' and configs' file: sources
	// (commands that create containers set it); otherwise they are only
	// checked, and ContainerFile.Content stays nil for them.
	ReadFiles bool
	// DigestKey keys the digests that containers keep in their
	// io.mycompose.config label (Project.DigestKey); see DigestKey().
	DigestKey []byte
	// APISocketConfig returns the Docker CLI configuration (its registry
	// credentials) that a use_api_socket service receives; read only with
	// ReadFiles. nil: an empty configuration.
	APISocketConfig func() ([]byte, error)
	// APISocket returns the host path of the engine's unix socket that a
	// use_api_socket service mounts, or why there is none (a tcp or ssh
	// endpoint); asked only with ReadFiles. nil: /var/run/docker.sock.
	APISocket func() (string, error)
	// ResolveImage pins an image reference to its registry's digest; when
	// set, Render prints every image pinned (config
	// --resolve-image-digests).
	ResolveImage func(ref string) (string, error)
	// ImagesOnly makes Render print only each service's image (config
	// --lock-image-digests: an override file).
	ImagesOnly bool
	// Compatibility names containers and default images with "_"
	// (--compatibility), as docker-compose v1 did.
	Compatibility bool
	// AllResources keeps the networks and volumes no service uses
	// (--all-resources): Render prints them, Load converts them.
	AllResources bool
}

// Load loads, interpolates, merges, validates and converts the project.
func Load(ctx context.Context, opts Options) (p *project.Project, err error) {
	return whileLoading(ctx, func() (p *project.Project, err error) {
		defer recoverPanic(&err)
		l, err := load(ctx, opts)
		if err != nil {
			return nil, err
		}
		return l.convert()
	})
}

// Render loads like Load and marshals compose-go's normalized model ("yaml"
// or "json") as `docker compose config` prints it. It refuses the same
// configurations as Load, so that `config` is a faithful validator.
func Render(ctx context.Context, opts Options, format string) (out []byte, err error) {
	return whileLoading(ctx, func() ([]byte, error) { return renderProject(ctx, opts, format) })
}

func renderProject(ctx context.Context, opts Options, format string) (out []byte, err error) {
	defer recoverPanic(&err)
	if format != "yaml" && format != "json" {
		return nil, fmt.Errorf("unsupported format %q: use yaml or json", format)
	}
	raw := opts.NoInterpolate || opts.NoNormalize || opts.NoPathResolution || opts.NoConsistency || opts.NoEnvResolution
	l, err := load(ctx, opts)
	if err != nil {
		return nil, err
	}
	// A model loaded without some of compose-go's steps is shown as it is:
	// it is not one mycompose would run, so it is not checked against the
	// allow-lists.
	if !raw {
		if _, err := l.convert(); err != nil {
			return nil, err
		}
	}
	cp := l.compose
	if len(opts.Services) > 0 {
		if cp, err = cp.WithSelectedServices(opts.Services); err != nil {
			return nil, err
		}
	}
	// `docker compose config` loads with WithDiscardEnvFile, which also drops
	// label_file once merged, and prints only the resources services use.
	if !opts.AllResources {
		cp = cp.WithoutUnnecessaryResources()
	}
	if opts.ResolveImage != nil {
		resolve := opts.ResolveImage
		if cp, err = cp.WithImagesResolved(func(named reference.Named) (digest.Digest, error) {
			pinned, err := resolve(named.String())
			if err != nil {
				return "", err
			}
			ref, err := reference.ParseDockerRef(pinned)
			if err != nil {
				return "", err
			}
			c, ok := ref.(reference.Canonical)
			if !ok {
				return "", fmt.Errorf("%q resolved to %q, which has no digest", named, pinned)
			}
			return c.Digest(), nil
		}); err != nil {
			return nil, err
		}
	}
	if opts.ImagesOnly {
		images := types.Services{}
		for name, s := range cp.Services {
			only := types.ServiceConfig{Name: name}
			only.Image = s.Image
			images[name] = only
		}
		cp = &types.Project{Services: images}
	}
	for name, s := range cp.Services {
		s.LabelFiles = nil
		if !opts.ShowSecrets {
			s.Environment = redact(s.Environment, l.envFileKeys[name])
		}
		if format == "json" {
			s.Build = sshAsJSON(s.Build)
		}
		cp.Services[name] = s
	}
	if format == "json" {
		out, err = cp.MarshalJSON()
	} else {
		out, err = cp.MarshalYAML()
	}
	if err != nil {
		return nil, err
	}
	// Interpolation already happened: escape what remains so the output can
	// be fed back to compose unchanged.
	return bytes.ReplaceAll(out, []byte("$"), []byte("$$")), nil
}

// sshAsJSON writes ssh keys with a path in their short form, "id=path":
// compose-go's SSHKey marshals them as invalid JSON ("id": path).
func sshAsJSON(b *types.BuildConfig) *types.BuildConfig {
	if b == nil || len(b.SSH) == 0 {
		return b
	}
	c := *b
	c.SSH = make(types.SSHConfig, len(b.SSH))
	for i, k := range b.SSH {
		if k.Path != "" {
			k = types.SSHKey{ID: k.ID + "=" + k.Path}
		}
		c.SSH[i] = k
	}
	// compose-go builds the list from a map: sort it so that config prints
	// the same thing every time.
	sort.Slice(c.SSH, func(i, j int) bool { return c.SSH[i].ID < c.SSH[j].ID })
	return &c
}

// loaded is a compose-go project plus what conversion needs to know about
// how it was loaded.
type loaded struct {
	session *session
	compose *types.Project
	// envFileKeys are, per service, the environment variables whose value
	// comes from an env_file rather than from the compose file: `config`
	// redacts them unless asked to show secrets.
	envFileKeys map[string]map[string]bool
	// hashRelease is the Docker Compose release whose config hash is
	// written on containers (MYCOMPOSE_HASH_VERSION; default the current).
	hashRelease string
}

// load runs compose-go the way Docker Compose's `up` does: load without
// resolving env_file, then resolve it and discard env_file, so that the
// ServiceConfig we hash is the one Docker Compose hashes.
func load(ctx context.Context, opts Options) (*loaded, error) {
	s, err := newSession(opts)
	if err != nil {
		return nil, err
	}
	po, err := s.projectOptions()
	if err != nil {
		var ce *composeError
		if errors.As(err, &ce) {
			return nil, err
		}
		// .env syntax, -p: compose-go knows no compose file yet.
		return nil, s.wrapComposeError(err, nil, nil)
	}
	if err := s.checkAliases(po.ConfigPaths); err != nil {
		return nil, err
	}
	cp, err := s.loadProject(ctx, po)
	if err != nil {
		return nil, err
	}
	if len(opts.Services) > 0 {
		for _, name := range opts.Services {
			if _, err := cp.GetService(name); err == nil {
				continue
			}
			if _, err := cp.GetDisabledService(name); err != nil {
				return nil, fmt.Errorf("no such service: %q (services: %v)", name, cp.ServiceNames())
			}
		}
		if cp, err = cp.WithServicesEnabled(opts.Services...); err != nil {
			return nil, s.wrapComposeError(err, po.ConfigPaths, po.Environment)
		}
	}
	// Docker Compose applies DOCKER_DEFAULT_PLATFORM before hashing, so the
	// hash carries it too.
	if platform := po.Environment["DOCKER_DEFAULT_PLATFORM"]; platform != "" {
		for name, svc := range cp.Services {
			if svc.Platform == "" {
				svc.Platform = platform
				cp.Services[name] = svc
			}
		}
	}
	fromFiles := envFileKeys(cp)
	if !opts.NoEnvResolution {
		cp, err = cp.WithServicesEnvironmentResolved(true)
		if err != nil {
			return nil, s.wrapComposeError(err, po.ConfigPaths, po.Environment)
		}
	}
	// Docker Compose's create and config both check this.
	if err := containerNameConflicts(cp, po.ConfigPaths, s); err != nil {
		return nil, err
	}
	if err := project.ValidateProjectName(cp.Name); err != nil {
		return nil, err
	}
	release, err := hashRelease(s.environ[EnvHashVersion])
	if err != nil {
		return nil, err
	}
	return &loaded{session: s, compose: cp, envFileKeys: fromFiles, hashRelease: release}, nil
}

// recoverPanic turns a panic (from compose-go or from us) into an error: a
// malformed compose file must never crash the CLI.
func recoverPanic(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error while loading the compose project (please report it): %v", r)
	}
}
