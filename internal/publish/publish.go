// Package publish packs a compose project as an OCI artifact in Docker
// Compose's format (`docker compose publish`): an image manifest whose
// artifact type is application/vnd.docker.compose.project, whose layers are
// the compose files (and, on request, the env files and an override
// pinning image digests), each annotated with its file name.
package publish

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"gopkg.in/yaml.v3"

	"github.com/mycompose/mycompose/internal/registry"
)

// Media and artifact types of Docker Compose's format.
const (
	ArtifactType     = "application/vnd.docker.compose.project"
	FileMediaType    = "application/vnd.docker.compose.file+yaml"
	EnvFileMediaType = "application/vnd.docker.compose.envfile"
	// EmptyConfigMediaType marks the config of an OCI 1.0 manifest (which
	// has no artifact type) as a compose project's.
	EmptyConfigMediaType = "application/vnd.docker.compose.config.empty.v1+json"
)

// OCI versions of the manifest.
const (
	OCI10 = "1.0"
	OCI11 = "1.1"
)

// Layer is one file of the artifact.
type Layer struct {
	v1.Descriptor
	Content []byte
}

// version is written in the annotations, as Docker Compose writes its own.
const version = "mycompose"

// FileLayer is a compose file's layer.
func FileLayer(name string, content []byte) Layer {
	return Layer{Descriptor: v1.Descriptor{MediaType: FileMediaType, Digest: digest.FromBytes(content), Size: int64(len(content)),
		Annotations: map[string]string{"com.docker.compose.version": version, "com.docker.compose.file": filepath.Base(name)}}, Content: content}
}

// EnvFileLayer is an env file's layer, named by the hash of its path.
func EnvFileLayer(name string, content []byte) Layer {
	return Layer{Descriptor: v1.Descriptor{MediaType: EnvFileMediaType, Digest: digest.FromBytes(content), Size: int64(len(content)),
		Annotations: map[string]string{"com.docker.compose.version": version, "com.docker.compose.envfile": filepath.Base(name)}}, Content: content}
}

// EnvFileName is the name an env file gets in the artifact: the sha256 of
// its path, as Docker Compose names it.
func EnvFileName(path string) string {
	return fmt.Sprintf("%x.env", sha256.Sum256([]byte(path)))
}

// ComposeFiles are the layers of the compose files; with envFiles (path ->
// artifact name) their env_file entries name the env files' layers.
func ComposeFiles(files []string, workingDir string, envFiles map[string]string) ([]Layer, error) {
	var out []Layer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if len(envFiles) > 0 {
			if data, err = renameEnvFiles(data, workingDir, envFiles); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
		}
		out = append(out, FileLayer(f, data))
	}
	return out, nil
}

// renameEnvFiles rewrites the env_file entries of the services of a compose
// file to their names in the artifact.
func renameEnvFiles(data []byte, workingDir string, names map[string]string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return data, nil
	}
	services := mapValue(doc.Content[0], "services")
	if services == nil || services.Kind != yaml.MappingNode {
		return data, nil
	}
	rename := func(n *yaml.Node) {
		if n.Kind != yaml.ScalarNode {
			return
		}
		p := n.Value
		if !filepath.IsAbs(p) {
			p = filepath.Join(workingDir, p)
		}
		if name, ok := names[filepath.Clean(p)]; ok {
			n.Value = name
		}
	}
	for i := 1; i < len(services.Content); i += 2 {
		ef := mapValue(services.Content[i], "env_file")
		if ef == nil {
			continue
		}
		switch ef.Kind {
		case yaml.ScalarNode:
			rename(ef)
		case yaml.SequenceNode:
			for _, e := range ef.Content {
				if e.Kind == yaml.MappingNode {
					if p := mapValue(e, "path"); p != nil {
						rename(p)
					}
					continue
				}
				rename(e)
			}
		}
	}
	return yaml.Marshal(&doc)
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// DigestsOverride is the image-digests.yaml layer: an override pinning
// each service's image to a digest (service -> name@digest).
func DigestsOverride(images map[string]string) (Layer, error) {
	type svc struct {
		Image string `yaml:"image"`
	}
	doc := struct {
		Services map[string]svc `yaml:"services"`
	}{Services: map[string]svc{}}
	for name, ref := range images {
		doc.Services[name] = svc{Image: ref}
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return Layer{}, err
	}
	return FileLayer("image-digests.yaml", data), nil
}

// Manifest builds the artifact's manifest in the given OCI version and
// returns it with the config blob it refers to.
func Manifest(layers []Layer, ociVersion string, created time.Time) (manifest []byte, config Layer, err error) {
	m := v1.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageManifest,
		Annotations: map[string]string{"org.opencontainers.image.created": created.UTC().Format(time.RFC3339)}}
	switch ociVersion {
	case OCI11:
		config = Layer{Descriptor: v1.DescriptorEmptyJSON, Content: []byte("{}")}
		m.ArtifactType = ArtifactType
	case OCI10:
		content := []byte("{}")
		config = Layer{Descriptor: v1.Descriptor{MediaType: EmptyConfigMediaType, Digest: digest.FromBytes(content), Size: 2}, Content: content}
	default:
		return nil, Layer{}, fmt.Errorf("unsupported OCI version %q: use 1.0 or 1.1", ociVersion)
	}
	m.Config = config.Descriptor
	for _, l := range layers {
		m.Layers = append(m.Layers, l.Descriptor)
	}
	manifest, err = json.Marshal(m)
	return manifest, config, err
}

// Push pushes the layers and the manifest to ref (a tag). Without an OCI
// version it pushes OCI 1.1 and falls back to 1.0 when the registry
// refuses the manifest for another reason than authentication, as Docker
// Compose does. It returns the manifest's digest.
func Push(ctx context.Context, c *registry.Client, ref string, layers []Layer, ociVersion string, now time.Time) (digest.Digest, error) {
	named, err := reference.ParseDockerRef(ref)
	if err != nil {
		return "", fmt.Errorf("invalid repository %q: %w", ref, err)
	}
	tag := "latest"
	if t, ok := named.(reference.Tagged); ok {
		tag = t.Tag()
	}
	repo := c.Repository(named)
	for _, l := range layers {
		if err := repo.PushBlob(ctx, l.Digest, l.Content); err != nil {
			return "", err
		}
	}
	versions := []string{ociVersion}
	if ociVersion == "" {
		versions = []string{OCI11, OCI10}
	}
	var last error
	for _, v := range versions {
		manifest, config, err := Manifest(layers, v, now)
		if err != nil {
			return "", err
		}
		if err := repo.PushBlob(ctx, config.Digest, config.Content); err != nil {
			return "", err
		}
		last = repo.PushManifest(ctx, tag, v1.MediaTypeImageManifest, manifest)
		var se *registry.StatusError
		if last == nil {
			return digest.FromBytes(manifest), nil
		}
		if !errors.As(last, &se) || se.StatusCode < 400 || se.StatusCode >= 500 ||
			se.StatusCode == http.StatusUnauthorized || se.StatusCode == http.StatusForbidden {
			return "", last
		}
	}
	return "", last
}
