package swarm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/mycompose/mycompose/project"
)

// ServiceSpec is a desired service with every name resolved: the adapter
// maps it field by field onto the engine's service spec.
type ServiceSpec struct {
	// Name is <stack>_<service>.
	Name    string
	Stack   string
	Service project.Service
	// Labels are the service labels (deploy.labels plus the namespace and
	// hash labels); ContainerLabels go on each task's container.
	Labels          map[string]string
	ContainerLabels map[string]string
	Networks        []NetworkRef
	Secrets         []FileRef
	Configs         []FileRef
	Global          bool
	Replicas        uint64
	Hash            string
	// RegistryAuth sends the user's credentials for the image's registry
	// with the spec, for the nodes' pulls (docker stack deploy
	// --with-registry-auth). Not part of the hash.
	RegistryAuth bool `json:"-"`
}

// NetworkRef attaches the tasks to an overlay network.
type NetworkRef struct {
	Name    string
	Aliases []string
}

// FileRef mounts a secret or config by its Swarm name.
type FileRef struct {
	Name string
	Ref  project.SwarmFileRef
}

// NetworkSpec is an overlay network to create.
type NetworkSpec struct {
	Name    string
	Network project.Network
	Labels  map[string]string
}

// ObjectSpec is a secret or config to create.
type ObjectSpec struct {
	Name   string
	Data   []byte
	Labels map[string]string
}

// Desired is the stack a project describes.
type Desired struct {
	Stack    string
	Services []ServiceSpec
	Networks []NetworkSpec
	Secrets  []ObjectSpec
	Configs  []ObjectSpec
}

// objectName versions a secret or config by content: Swarm objects are
// immutable, so a change makes a new object and rolls its services.
func objectName(o project.SwarmObject) string {
	if o.External {
		return o.Name
	}
	sum := sha256.Sum256(o.Data)
	return o.Name + "_" + hex.EncodeToString(sum[:])[:10]
}

// Pin returns ref pinned to digest (name:tag@sha256:...), as docker stack
// deploy writes it; a reference that already names a digest is kept.
func Pin(ref, dgst string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", ref, err)
	}
	if _, ok := named.(reference.Canonical); ok {
		return ref, nil
	}
	d, err := digest.Parse(dgst)
	if err != nil {
		return "", fmt.Errorf("image %q: digest %q: %w", ref, dgst, err)
	}
	// Untagged means :latest, written out as the daemon's own pinning does.
	c, err := reference.WithDigest(reference.TagNameOnly(named), d)
	if err != nil {
		return "", err
	}
	return reference.FamiliarString(c), nil
}

// BuildDesired resolves a project loaded in Swarm mode into the desired
// stack. digests maps image references, as the file names them, to the
// manifest digest their registry reported: those images are pinned
// (Pin), so that every node runs the same bytes and a new push under the
// same tag changes the spec (and rolls the service).
func BuildDesired(p *project.Project, digests map[string]string) (*Desired, error) {
	d := &Desired{Stack: p.Name}
	ns := map[string]string{project.StackNamespaceLabel: p.Name}
	secretNames, configNames := map[string]string{}, map[string]string{}
	if p.Swarm != nil {
		for _, o := range p.Swarm.Secrets {
			secretNames[o.Key] = objectName(o)
			if !o.External {
				d.Secrets = append(d.Secrets, ObjectSpec{Name: secretNames[o.Key], Data: o.Data, Labels: merge(o.Labels, ns)})
			}
		}
		for _, o := range p.Swarm.Configs {
			configNames[o.Key] = objectName(o)
			if !o.External {
				d.Configs = append(d.Configs, ObjectSpec{Name: configNames[o.Key], Data: o.Data, Labels: merge(o.Labels, ns)})
			}
		}
	}
	for _, n := range p.Networks {
		if n.External {
			continue
		}
		if n.Driver != "" && n.Driver != "overlay" {
			return nil, fmt.Errorf("network %q: driver %q cannot be used with --swarm (Swarm services join overlay networks)", n.Key, n.Driver)
		}
		d.Networks = append(d.Networks, NetworkSpec{Name: n.Name, Network: n, Labels: merge(n.Labels, ns)})
	}
	for _, s := range p.Services {
		if s.Swarm == nil {
			return nil, fmt.Errorf("service %q: not loaded in Swarm mode", s.Name)
		}
		spec := ServiceSpec{
			Name: p.Name + "_" + s.Name, Stack: p.Name, Service: s,
			Global: s.Swarm.Mode == "global",
		}
		if s.Swarm.Mode != "global" && s.Swarm.Mode != "replicated" {
			return nil, fmt.Errorf("service %q: deploy.mode %q is not supported (use replicated or global)", s.Name, s.Swarm.Mode)
		}
		for _, a := range s.Networks {
			spec.Networks = append(spec.Networks, NetworkRef{Name: a.Name, Aliases: append([]string{s.Name}, a.Aliases...)})
		}
		for _, r := range s.Swarm.Secrets {
			spec.Secrets = append(spec.Secrets, FileRef{Name: secretNames[r.Key], Ref: r})
		}
		for _, r := range s.Swarm.Configs {
			spec.Configs = append(spec.Configs, FileRef{Name: configNames[r.Key], Ref: r})
		}
		if dg := digests[s.Container.Image]; dg != "" {
			pinned, err := Pin(s.Container.Image, dg)
			if err != nil {
				return nil, fmt.Errorf("service %q: %w", s.Name, err)
			}
			spec.Service.Container.Image = pinned
		}
		// Config and ConfigHash are the local engine's, and the build
		// section only says how the image was made; replicas are not
		// part of the hash so that scaling never rolls a service.
		spec.Service.Config, spec.Service.ConfigHash, spec.Service.Replicas = nil, "", 0
		spec.Service.Build = nil
		h, err := hashOf(spec)
		if err != nil {
			return nil, err
		}
		spec.Service.Replicas, spec.Replicas = s.Replicas, uint64(max(s.Replicas, 0))
		spec.Hash = h
		spec.Labels = merge(s.Swarm.Labels, ns, map[string]string{HashLabel: h, "com.docker.stack.image": s.Container.Image})
		spec.ContainerLabels = merge(s.Container.Labels, ns, map[string]string{HashLabel: h})
		d.Services = append(d.Services, spec)
	}
	sort.Slice(d.Services, func(i, j int) bool { return d.Services[i].Name < d.Services[j].Name })
	return d, nil
}

func hashOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16], nil
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
