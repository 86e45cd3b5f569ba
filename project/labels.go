package project

import (
	"sort"
	"strconv"
	"strings"
)

// Label keys of the Docker Compose contract. They are the only place these
// strings are spelled.
const (
	LabelProject         = "com.docker.compose.project"
	LabelService         = "com.docker.compose.service"
	LabelNumber          = "com.docker.compose.container-number"
	LabelOneOff          = "com.docker.compose.oneoff"
	LabelConfigHash      = "com.docker.compose.config-hash"
	LabelWorkingDir      = "com.docker.compose.project.working_dir"
	LabelConfigFiles     = "com.docker.compose.project.config_files"
	LabelEnvironmentFile = "com.docker.compose.project.environment_file"
	LabelVersion         = "com.docker.compose.version"
	LabelDependsOn       = "com.docker.compose.depends_on"
	LabelImage           = "com.docker.compose.image"
	LabelReplace         = "com.docker.compose.replace"
	LabelSlug            = "com.docker.compose.slug"
	LabelNetwork         = "com.docker.compose.network"
	LabelVolume          = "com.docker.compose.volume"
	// LabelConfig is mycompose's own: keyed digests of the fields of the
	// service definition and of its secrets' and configs' contents, to
	// explain recreates and notice a rotated secret (see ConfigRecord). It
	// never holds a value.
	LabelConfig = "io.mycompose.config"
)

// IsComposeLabel reports whether key is one of the compose contract's label
// keys (they share a prefix), which `events` leaves out of what it prints.
func IsComposeLabel(key string) bool { return strings.HasPrefix(key, "com.docker.compose.") }

// OneOff label values.
const (
	OneOffTrue  = "True"
	OneOffFalse = "False"
)

// ContainerLabels returns the full label set of replica number of svc: the
// user's labels with the compose labels merged over them (ours win).
// imageID is the ID of the image the container is created from.
func (p *Project) ContainerLabels(svc *Service, number int, imageID string) map[string]string {
	labels := make(map[string]string, len(svc.Container.Labels)+12)
	for k, v := range svc.Container.Labels {
		labels[k] = v
	}
	labels[LabelProject] = p.Name
	labels[LabelService] = svc.Name
	labels[LabelNumber] = strconv.Itoa(number)
	labels[LabelOneOff] = OneOffFalse
	labels[LabelConfigHash] = svc.ConfigHash
	labels[LabelWorkingDir] = p.WorkingDir
	labels[LabelConfigFiles] = strings.Join(p.ConfigFiles, ",")
	if len(p.EnvFiles) > 0 {
		labels[LabelEnvironmentFile] = strings.Join(p.EnvFiles, ",")
	}
	labels[LabelVersion] = Version
	labels[LabelDependsOn] = DependsOnLabel(svc.DependsOn)
	if rec, ok := NewConfigRecord(svc.Config, svc.Container.Files, p.DigestKey); ok {
		labels[LabelConfig] = rec.String()
	}
	if imageID != "" {
		labels[LabelImage] = imageID
	}
	return labels
}

// DependsOnLabel encodes dependencies as "dep:condition:restart,...".
func DependsOnLabel(deps []Dependency) string {
	parts := make([]string, 0, len(deps))
	for _, d := range deps {
		parts = append(parts, d.Service+":"+d.Condition+":"+strconv.FormatBool(d.Restart))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// ParseDependsOnLabel decodes the value written by DependsOnLabel. Malformed
// entries are skipped: the label is advisory and may come from another tool.
func ParseDependsOnLabel(value string) []Dependency {
	var deps []Dependency
	for _, part := range strings.Split(value, ",") {
		fields := strings.Split(part, ":")
		if len(fields) == 0 || fields[0] == "" {
			continue
		}
		d := Dependency{Service: fields[0], Condition: ConditionStarted, Required: true}
		if len(fields) > 1 && fields[1] != "" {
			d.Condition = fields[1]
		}
		if len(fields) > 2 {
			d.Restart = fields[2] == "true"
		}
		deps = append(deps, d)
	}
	return deps
}

// NetworkLabels returns the labels of a network the project creates.
func (p *Project) NetworkLabels(n *Network) map[string]string {
	labels := make(map[string]string, len(n.Labels)+4)
	for k, v := range n.Labels {
		labels[k] = v
	}
	labels[LabelProject] = p.Name
	labels[LabelNetwork] = n.Key
	labels[LabelVersion] = Version
	if n.ConfigHash != "" {
		labels[LabelConfigHash] = n.ConfigHash
	}
	return labels
}

// VolumeLabels returns the labels of a volume the project creates.
func (p *Project) VolumeLabels(v *Volume) map[string]string {
	labels := make(map[string]string, len(v.Labels)+4)
	for k, val := range v.Labels {
		labels[k] = val
	}
	labels[LabelProject] = p.Name
	labels[LabelVolume] = v.Key
	labels[LabelVersion] = Version
	if v.ConfigHash != "" {
		labels[LabelConfigHash] = v.ConfigHash
	}
	return labels
}

// Replica is what the compose labels of a container say about it, decoded
// once when the container is observed so that nothing else reads label
// keys by hand.
type Replica struct {
	Project string
	Service string
	// Number is the replica number, 0 for a one-off.
	Number int
	// OneOff marks a `run` container, which lifecycle commands of its
	// service leave alone.
	OneOff     bool
	ConfigHash string
	// CreatedFrom is the ID of the image the container was created from, as
	// recorded at creation ("" when another tool created it).
	CreatedFrom string
	// Config is the service definition the config hash was computed from
	// (mycompose's own label), to explain a recreate; "" when absent.
	Config string
	// DependsOn are the dependencies recorded at creation.
	DependsOn []Dependency
	// Slug identifies a one-off.
	Slug string
	// WorkingDir and ConfigFiles say where the project was loaded from.
	WorkingDir  string
	ConfigFiles string
}

// ParseReplicaLabels decodes the compose labels of a container.
// Malformed values decode as zero: labels may come from another tool.
func ParseReplicaLabels(labels map[string]string) Replica {
	n, _ := strconv.Atoi(labels[LabelNumber])
	return Replica{
		Project: labels[LabelProject], Service: labels[LabelService], Number: n,
		OneOff: labels[LabelOneOff] == OneOffTrue, ConfigHash: labels[LabelConfigHash],
		CreatedFrom: labels[LabelImage], Config: labels[LabelConfig],
		DependsOn: ParseDependsOnLabel(labels[LabelDependsOn]), Slug: labels[LabelSlug],
		WorkingDir: labels[LabelWorkingDir], ConfigFiles: labels[LabelConfigFiles],
	}
}

// Resource is what the compose labels of a network or volume say about it.
type Resource struct {
	Project string
	// Key is the network's or volume's key in the compose file.
	Key        string
	ConfigHash string
}

// ParseNetworkLabels decodes the compose labels of a network.
func ParseNetworkLabels(labels map[string]string) Resource {
	return Resource{Project: labels[LabelProject], Key: labels[LabelNetwork], ConfigHash: labels[LabelConfigHash]}
}

// ParseVolumeLabels decodes the compose labels of a volume.
func ParseVolumeLabels(labels map[string]string) Resource {
	return Resource{Project: labels[LabelProject], Key: labels[LabelVolume], ConfigHash: labels[LabelConfigHash]}
}

// OneOffLabels turns the labels of a service's replica into those of a
// one-off container of it (run): no replica number, the one-off flag, and
// the slug that names it.
func OneOffLabels(labels map[string]string, slug string) {
	delete(labels, LabelNumber)
	labels[LabelOneOff] = OneOffTrue
	labels[LabelSlug] = slug
}

// ReplaceLabel records on a recreate's new container which replica it
// replaces ("web-1"), as Docker Compose does.
func ReplaceLabel(labels map[string]string, service string, number int) {
	labels[LabelReplace] = service + "-" + strconv.Itoa(number)
}

// WithImageLabel returns labels with the ID of the image a container is
// created from recorded (a copy: labels is left as it is).
func WithImageLabel(labels map[string]string, imageID string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	if imageID != "" {
		out[LabelImage] = imageID
	}
	return out
}
