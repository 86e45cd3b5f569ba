package dockerengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	clitypes "github.com/docker/cli/cli/config/types"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mycompose/mycompose/convergence"
)

var _ convergence.ImageStore = (*Engine)(nil)

// dockerHubAuthKey is the key under which the Docker CLI keeps Docker Hub
// credentials (registry.IndexServer in the engine's code).
const dockerHubAuthKey = "https://index.docker.io/v1/"

// PullImage pulls ref through the engine with the user's credentials for
// its registry, then inspects the result. Engine failures become one line
// naming the registry; nothing is retried here (the engine itself retries
// layer downloads a bounded number of times).
func (e *Engine) PullImage(ctx context.Context, ref, platform string, progress func(convergence.PullEvent)) (convergence.PulledImage, error) {
	op := fmt.Sprintf("pull %q", ref)
	reg, err := registryOf(ref)
	if err != nil {
		return convergence.PulledImage{}, fmt.Errorf("%s: invalid image reference: %w", op, err)
	}
	auth, credErr := registryAuth(reg)
	rc, err := e.cli.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth, Platform: platform})
	if err == nil {
		var digest string
		digest, err = decodeStream(rc, ref, progress)
		rc.Close()
		if err == nil {
			img, ierr := e.cli.ImageInspect(ctx, ref)
			if ierr != nil {
				return convergence.PulledImage{}, e.fail(ierr, fmt.Sprintf("inspect pulled image %q", ref), callOther)
			}
			return convergence.PulledImage{ID: img.ID, Digest: digest, Size: img.Size}, nil
		}
	}
	return convergence.PulledImage{}, e.registryError(op, reg, ref, auth != "", credErr, err)
}

// PushImage pushes a local image to the registry its reference names and
// returns the pushed manifest digest.
func (e *Engine) PushImage(ctx context.Context, ref string, progress func(convergence.PullEvent)) (string, error) {
	op := fmt.Sprintf("push %q", ref)
	reg, err := registryOf(ref)
	if err != nil {
		return "", fmt.Errorf("%s: invalid image reference: %w", op, err)
	}
	auth, credErr := registryAuth(reg)
	rc, err := e.cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err == nil {
		var digest string
		digest, err = decodeStream(rc, ref, progress)
		rc.Close()
		if err == nil {
			return digest, nil
		}
	}
	if errors.Is(sentinel(err, callPush), convergence.ErrImageNotFound) {
		return "", fmt.Errorf("%s: image is not present on the engine: tag a local image with that name (docker tag) first%.0w", op, convergence.ErrImageNotFound)
	}
	return "", e.registryError(op, reg, ref, auth != "", credErr, err)
}

// registryOf returns the registry host of an image reference ("docker.io"
// for Docker Hub).
func registryOf(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", err
	}
	return reference.Domain(named), nil
}

// registryAuth returns the X-Registry-Auth value for a registry from the
// Docker CLI's configuration ($DOCKER_CONFIG/config.json, else
// ~/.docker/config.json): its auths, credsStore and credHelpers, through the
// Docker CLI's own libraries. No credentials is "" (an anonymous pull). A
// failing credential helper is returned for the error message, but the pull
// still goes ahead anonymously, as with the Docker CLI.
func registryAuth(reg string) (string, error) {
	ac, key, err := cliAuthConfig(os.Getenv(config.EnvOverrideConfigDir), reg)
	if err != nil {
		return "", err
	}
	if ac.Username == "" && ac.Password == "" && ac.IdentityToken == "" && ac.RegistryToken == "" && ac.Auth == "" {
		return "", nil
	}
	return registry.EncodeAuthConfig(registry.AuthConfig{
		Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
		ServerAddress: key, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken,
	})
}

// streamMessage is one message of the engine's progress stream (the
// engine's jsonmessage.JSONMessage, without its terminal dependencies).
type streamMessage struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Progress *struct {
		Current int64 `json:"current"`
		Total   int64 `json:"total"`
	} `json:"progressDetail"`
	Error *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	ErrorMessage string           `json:"error"`
	Aux          *json.RawMessage `json:"aux"`
}

// layerID matches the short layer IDs of progress messages.
var layerID = regexp.MustCompile(`^[0-9a-f]{12}$`)

// decodeStream reads a pull or push progress stream to its end, forwarding
// each message, and returns the manifest digest it reports or the error the
// engine sent inside the stream.
func decodeStream(r io.Reader, ref string, progress func(convergence.PullEvent)) (string, error) {
	dec := json.NewDecoder(r)
	var digest string
	for {
		var m streamMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return digest, nil
			}
			return digest, fmt.Errorf("read progress: %w", err)
		}
		if m.Error != nil {
			return digest, errors.New(m.Error.Message)
		}
		if m.ErrorMessage != "" {
			return digest, errors.New(m.ErrorMessage)
		}
		if d, ok := strings.CutPrefix(m.Status, "Digest: "); ok {
			digest = d
		}
		if m.Aux != nil {
			var aux struct{ Digest string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.Digest != "" {
				digest = aux.Digest
			}
		}
		if progress == nil || m.Status == "" {
			continue
		}
		ev := convergence.PullEvent{Ref: ref, Status: m.Status}
		if layerID.MatchString(m.ID) {
			ev.Layer = m.ID
		}
		if m.Progress != nil {
			ev.Current, ev.Total = m.Progress.Current, m.Progress.Total
		}
		progress(ev)
	}
}

// parsePlatform converts a compose platform ("linux/amd64", "linux/arm64/v8",
// "amd64") to the engine's form; "" is nil (the engine's own).
func parsePlatform(s string) *ocispec.Platform {
	if s == "" {
		return nil
	}
	parts := strings.Split(strings.ToLower(s), "/")
	p := &ocispec.Platform{OS: "linux"}
	switch parts[0] {
	case "linux", "windows", "darwin", "freebsd":
		p.OS = parts[0]
		parts = parts[1:]
	}
	if len(parts) > 0 {
		p.Architecture = parts[0]
	}
	if len(parts) > 1 {
		p.Variant = parts[1]
	}
	return p
}

// ResolveDigest asks the engine which manifest digest ref's registry
// serves (the engine's distribution inspect, with the user's credentials),
// as Docker Compose resolves image digests.
func (e *Engine) ResolveDigest(ctx context.Context, ref string) (string, error) {
	named, err := reference.ParseDockerRef(ref)
	if err != nil {
		return "", fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	if _, ok := named.(reference.Canonical); ok {
		return named.String(), nil
	}
	reg := reference.Domain(named)
	auth, credErr := registryAuth(reg)
	info, err := e.cli.DistributionInspect(ctx, named.String(), auth)
	if err != nil {
		return "", e.registryError(fmt.Sprintf("resolve the digest of %q", ref), reg, ref, auth != "", credErr, err)
	}
	pinned, err := reference.WithDigest(named, info.Descriptor.Digest)
	if err != nil {
		return "", err
	}
	return pinned.String(), nil
}

// cliAuthConfig reads the credentials the Docker CLI's configuration in
// dir ("" for ~/.docker) keeps for a registry host: auths, credsStore,
// credHelpers. key is the configuration's name of the registry.
func cliAuthConfig(dir, reg string) (ac clitypes.AuthConfig, key string, err error) {
	cf, err := loadCLIConfig(dir)
	if err != nil {
		return ac, "", err
	}
	key = reg
	if reg == "docker.io" {
		key = dockerHubAuthKey
	}
	if ac, err = cf.GetAuthConfig(key); err != nil {
		return ac, key, fmt.Errorf("read credentials for %q: %w", reg, err)
	}
	return ac, key, nil
}

// loadCLIConfig loads the Docker CLI's configuration in dir ("" for
// ~/.docker), with the platform's default credential store when it names
// none and keeps no credentials itself, as the Docker CLI does.
func loadCLIConfig(dir string) (*configfile.ConfigFile, error) {
	cf, err := config.Load(dir)
	if err != nil {
		return nil, err
	}
	if !cf.ContainsAuth() {
		cf.CredentialsStore = credentials.DetectDefaultStore(cf.CredentialsStore)
	}
	return cf, nil
}
