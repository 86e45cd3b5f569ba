// Package project holds mycompose's desired state: the services, networks and
// volumes of a compose project, already resolved into engine-neutral specs,
// plus the naming and labelling rules that Docker Compose users rely on.
//
// It imports the standard library only, so the planner and its tests never
// depend on compose-go or the Docker SDK.
package project

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// Version is the tool version written to the com.docker.compose.version label.
const Version = "0.1.0"

// Project is a loaded compose project.
type Project struct {
	// Name is the normalized project name.
	Name string
	// WorkingDir is the absolute project directory.
	WorkingDir string
	// ConfigFiles are the absolute paths of the compose files, in merge order.
	ConfigFiles []string
	// EnvFiles are the absolute paths given with --env-file (empty when none).
	EnvFiles []string
	// Services are the enabled services, sorted by name.
	Services []Service
	// DisabledServices are services excluded by profiles, sorted by name.
	// Their containers are not orphans.
	DisabledServices []string
	// Profiles are the profiles any service names, enabled or not, sorted.
	Profiles []string
	// Networks are the networks that services use, sorted by key.
	Networks []Network
	// Volumes are the named volumes declared by the project, sorted by key.
	Volumes []Volume
	// Models are the AI models (models:) the enabled services use, sorted
	// by key; Docker Model Runner serves them.
	Models []Model
	// Jobs are the top-level jobs, sorted by name: the Docker Engine's jobs
	// extension runs them (see convergence.CheckJobs).
	Jobs []Job
	// Warnings are non-fatal messages from loading (for example an optional
	// dependency on a disabled service).
	Warnings []string
	// Swarm holds secrets and configs when loaded in Swarm mode, else nil.
	Swarm *SwarmProject
	// Separator joins the parts of container names: "" is Docker
	// Compose's "-"; --compatibility sets "_" (project_service_1), as
	// docker-compose v1 named them.
	Separator string
	// DigestKey keys the digests of LabelConfig (see ConfigRecord): a
	// per-user random secret, so that labels cannot be used to guess
	// values offline. Empty: the label keeps field names only.
	DigestKey []byte
}

// Service is the desired state of one compose service.
type Service struct {
	Name string
	// Replicas is the desired number of containers (may be 0).
	Replicas int
	// ConfigHash is the Docker Compose config hash of the service definition.
	ConfigHash string
	// AcceptedHashes are the config hashes, sorted, that any known Docker
	// Compose release stamps on a container of this service (ConfigHash
	// among them): a container carrying one of them is up to date, so a
	// project brought up by an older Compose is a no-op up.
	AcceptedHashes []string
	// Config is the JSON the hash is computed from. It holds values
	// (environment included) and is never written out: containers keep
	// keyed digests of its fields in LabelConfig (see ConfigRecord).
	Config []byte
	// ContainerName is the fixed container name from `container_name:`, or "".
	ContainerName string
	// DependsOn lists the services this one depends on, sorted by service.
	DependsOn []Dependency
	// Container is the template from which each replica is created. Compose
	// labels are added per replica by ContainerLabels.
	Container ContainerSpec
	// Networks are the networks the containers join, primary first. Empty
	// when Container.NetworkMode is set.
	Networks []NetworkAttachment
	// PullPolicy is the compose pull_policy ("" means missing).
	PullPolicy string
	// Build is how to build the service's image (build:), or nil.
	Build *Build
	// Watch are the develop.watch rules, in file order (empty: none).
	Watch []WatchRule
	// Swarm is the deploy section when loaded in Swarm mode, else nil.
	Swarm *SwarmService
	// Detached is `attach: false`: an attached `up` does not show this
	// service's logs unless --attach names it.
	Detached bool
	// SwarmOnly lists the deploy keys set on the service that only a Swarm
	// honours ("deploy.placement", ...): accepted locally, not applied.
	SwarmOnly []string
	// Provider is set for a provider service (provider:): no container;
	// a provider program runs on up and down and sets environment
	// variables of the services that depend on it.
	Provider *Provider
	// Models are the models the service uses (models:), sorted by key.
	Models []ServiceModel
	// PreStart are the pre_start init containers, in file order: each runs
	// to completion before the service's containers start.
	PreStart []PreStartHook
	// PostStart and PreStop are the lifecycle hooks, in file order.
	PostStart []Hook
	PreStop   []Hook
	// Links are links: to other services (their containers join the
	// primary network endpoint's links); ExternalLinks are
	// "container:alias" entries for containers outside the project.
	Links         []Link
	ExternalLinks []string
	// Requires lists the keys of the service that need a newer engine API
	// than the oldest mycompose speaks; the caller checks them against the
	// API version negotiated with the engine (convergence.CheckAPI).
	Requires []APIRequirement
}

// APIRequirement is a compose key that works only from an engine API
// version on.
type APIRequirement struct {
	Key   string // as the user wrote it: "healthcheck.start_interval"
	API   string // lowest engine API version that honours it: "1.44"
	Where string // "compose.yaml:12", or "" when it cannot be located
}

// Build describes an image build through the engine's build API.
type Build struct {
	Context          string            // absolute context directory
	Dockerfile       string            // path relative to Context; "" means Dockerfile
	DockerfileInline string            // Dockerfile content given inline
	Args             map[string]string // build args (unset ones dropped)
	Target           string
	Labels           map[string]string
	NoCache          bool
	// NoCacheFilter names the stages built without the cache (BuildKit).
	NoCacheFilter []string
	Pull          bool // always try to pull a newer base image

	// Remote is a context URL (git or https) the builder fetches itself;
	// Context is then empty.
	Remote string
	// Tags are more names for the built image, besides the service's image.
	Tags []string
	// Platforms are the target platforms ("linux/amd64"); at most one
	// reaches an engine build.
	Platforms []string
	// Secrets are the build secrets RUN --mount=type=secret can read.
	Secrets []BuildSecret
	// SSH are the ssh agent sockets or keys RUN --mount=type=ssh can use.
	SSH []BuildSSH
	// CacheFrom and CacheTo are cache imports and exports, each
	// "type=...,key=value" (a bare reference is type=registry).
	CacheFrom []string
	CacheTo   []string
	// AdditionalContexts are named contexts: an absolute directory, a URL,
	// "docker-image://REF" or "service:NAME" (the image of another built
	// service, which is built first).
	AdditionalContexts map[string]string
	Network            string // force-network-mode: "", "default", "host" or "none"
	ShmSize            int64  // /dev/shm size of RUN steps, bytes
	ExtraHosts         []string
	Isolation          string
	Privileged         bool     // allow RUN --security=insecure
	Entitlements       []string // extra entitlements allowed to the build
	Ulimits            []Ulimit // sorted by name
	// Provenance and SBOM are the attestations to attach ("true",
	// "mode=max", "generator=..."; "" or "false": none).
	Provenance, SBOM string
	// AttestWhere locates them in the compose files ("compose.yaml:7").
	AttestWhere string
}

// BuildSecret is one build secret: the content, read from a file or the
// environment when the project is loaded, is handed to the builder only.
type BuildSecret struct {
	ID      string
	File    string // read by the builder session when asked
	Content []byte // environment: or content: secrets
}

// BuildSSH is one ssh entry of a build: ID "default" with no paths means
// the agent at SSH_AUTH_SOCK.
type BuildSSH struct {
	ID    string
	Paths []string // agent sockets or private key files
}

// Dependency is one depends_on entry.
type Dependency struct {
	Service string
	// Condition is service_started, service_healthy or
	// service_completed_successfully.
	Condition string
	// Restart is depends_on.restart: restart this service when the dependency
	// is restarted or recreated.
	Restart bool
	// Required is false for optional dependencies.
	Required bool
}

// Dependency conditions.
const (
	ConditionStarted   = "service_started"
	ConditionHealthy   = "service_healthy"
	ConditionCompleted = "service_completed_successfully"
)

// ContainerSpec is an engine-neutral description of a container, close to the
// shape of the Docker engine API so that the engine adapter maps it field by
// field. Zero values mean "engine default".
type ContainerSpec struct {
	Image      string
	Platform   string   // os/arch[/variant] from platform:, "" for the engine's own
	Cmd        []string // nil: the image's CMD
	Entrypoint []string // nil: the image's ENTRYPOINT
	Env        []string // KEY=VALUE, sorted
	Labels     map[string]string
	WorkingDir string
	User       string
	Hostname   string
	Domainname string
	Tty        bool
	OpenStdin  bool
	StopSignal string
	// StopTimeout is stop_grace_period in whole seconds; nil: engine default.
	StopTimeout  *int
	Healthcheck  *Healthcheck
	ExposedPorts []string // "80/tcp", sorted
	Ports        []PortBinding
	Mounts       []Mount
	Restart      RestartPolicy
	Init         *bool
	CapAdd       []string
	CapDrop      []string
	Privileged   bool
	SecurityOpt  []string
	ExtraHosts   []string // "host:ip"
	DNS          []string
	DNSSearch    []string
	DNSOptions   []string
	Ulimits      []Ulimit // sorted by name
	Sysctls      map[string]string
	LogDriver    string
	LogOptions   map[string]string
	ReadOnly     bool
	ShmSize      int64 // bytes
	PidMode      string
	IpcMode      string
	// NetworkMode is "" (join Service.Networks), "host", "none", "bridge",
	// "container:<name or id>" or "service:<service>" (resolved by the
	// executor to one of that service's containers).
	NetworkMode       string
	Devices           []Device
	GroupAdd          []string
	Memory            int64 // bytes, mem_limit / deploy.resources.limits.memory
	MemoryReservation int64 // bytes
	NanoCPUs          int64 // cpus * 1e9
	PidsLimit         int64 // 0: unlimited/default
	VolumesFrom       []string
	// Resources are the further cgroup knobs (cpu_shares, blkio_config, gpus, ...).
	Resources Resources
	// Runtime holds runtime, isolation, cgroup, userns_mode, uts, storage_opt,
	// volume_driver and mac_address.
	Runtime RuntimeOptions
	// Files are secrets and configs, written into the container after it
	// is created and before it starts.
	Files []ContainerFile
	// Annotations are passed to the OCI runtime (annotations:, API 1.43).
	Annotations map[string]string
}

// Hook is a post_start or pre_stop command, exec'd in the service's
// container as Docker Compose runs it: a non-zero exit fails the command.
type Hook struct {
	Command    []string
	User       string
	Privileged bool
	WorkingDir string
	Env        []string // KEY=VALUE, sorted
}

// Provider is a provider service's program and its options.
type Provider struct {
	// Type is a Docker CLI plugin's name or an executable on PATH.
	Type string
	// Options are passed as --name=value, each value once, sorted by name.
	Options []ProviderOption
}

// ProviderOption is one option of a provider, with its values in order.
type ProviderOption struct {
	Name   string
	Values []string
}

// InjectEnv sets environment variables a provider returned on the
// service's containers, replacing variables of the same name. The config
// hash changes with them, so that new values recreate the containers.
func (s *Service) InjectEnv(vars map[string]string) {
	if len(vars) == 0 {
		return
	}
	env := make([]string, 0, len(s.Container.Env)+len(vars))
	for _, kv := range s.Container.Env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := vars[k]; !ok {
			env = append(env, kv)
		}
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(s.ConfigHash))
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
		fmt.Fprintf(h, "\x00%s=%s", k, vars[k])
	}
	sort.Strings(env)
	s.Container.Env = env
	s.ConfigHash = hex.EncodeToString(h.Sum(nil))
	// No Compose release stamps this hash.
	s.AcceptedHashes = nil
}

// Model is a top-level model: Model is what Docker Model Runner pulls
// ("ai/smollm2").
type Model struct {
	Key          string
	Name         string
	Model        string
	ContextSize  int
	RuntimeFlags []string
}

// ServiceModel is a service's use of a model: the variables that receive
// the endpoint (default <KEY>_URL) and the model name (<KEY>_MODEL).
type ServiceModel struct {
	Key         string
	EndpointVar string
	ModelVar    string
}

// PreStartHook is a pre_start init container: a full container spec
// (compose-go has filled in what it inherits from the service), run with
// the volumes of the replica about to start.
type PreStartHook struct {
	Container ContainerSpec
	// PerReplica runs it before each replica starts; else once per
	// service and command.
	PerReplica bool
}

// Job is a top-level job.
type Job struct {
	Name string
	// Scheduled jobs have a schedule trigger: up registers them with the
	// engine; the others wait for `run JOB`.
	Scheduled bool
	// Where is "compose.yaml:12" (the job's triggers, else the job), or "".
	Where string
}

// Job returns the job named name.
func (p *Project) Job(name string) (Job, bool) {
	for _, j := range p.Jobs {
		if j.Name == name {
			return j, true
		}
	}
	return Job{}, false
}

// Link is one links: entry: the containers of Service are reachable from
// this service's containers under Alias (the service name when not given).
type Link struct {
	Service string
	Alias   string
}

// ContainerFile is a secret or config file placed in a container with the
// declared owner and mode. Content never appears in plans or output.
type ContainerFile struct {
	// Kind is "secret" or "config"; Name is its compose name.
	Kind, Name string
	Path       string // absolute path in the container
	Content    []byte
	UID, GID   int
	Mode       uint32
	// Digest is the keyed digest of Content (Project.DigestKey), recorded
	// so that a rotated secret recreates the containers that use it.
	Digest string
}

// Healthcheck mirrors the engine's healthcheck config. Durations are in
// nanoseconds; zero means the engine default.
type Healthcheck struct {
	Test        []string // ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]
	Interval    int64
	Timeout     int64
	StartPeriod int64
	// StartInterval is the probe interval during the start period (API 1.44).
	StartInterval int64
	Retries       int
}

// PortBinding publishes a container port.
type PortBinding struct {
	ContainerPort uint32
	Protocol      string // tcp, udp, sctp
	HostIP        string
	HostPort      string // "" or "0": engine-assigned; may be a range "8000-8010"
}

// Mount types.
const (
	MountBind   = "bind"
	MountVolume = "volume"
	MountTmpfs  = "tmpfs"
	// MountImage mounts the content of an image (engine API 1.47).
	MountImage = "image"
)

// Mount is a bind mount, a named or anonymous volume, or a tmpfs.
type Mount struct {
	Type string // MountBind, MountVolume, MountTmpfs, MountImage
	// Source is the absolute host path for binds, the engine volume name for
	// named volumes, the image reference for images, and "" for anonymous
	// volumes and tmpfs.
	Source   string
	Target   string
	ReadOnly bool
	// Consistency, Propagation and CreateHostPath apply to binds.
	Propagation    string
	CreateHostPath bool
	// SELinux is the bind's relabel option: "z" (shared) or "Z" (private).
	SELinux string
	// NonRecursive stops submounts of the source from being bound too
	// (bind.recursive: disabled).
	NonRecursive bool
	// NoCopy applies to volumes.
	NoCopy bool
	// VolumeLabels label the volume the engine creates for this mount when
	// it does not exist yet (volume.labels).
	VolumeLabels map[string]string
	// Subpath mounts a directory of the volume or image instead of its root
	// (volumes: engine API 1.45).
	Subpath string
	// TmpfsSize (bytes) and TmpfsMode apply to tmpfs.
	TmpfsSize int64
	TmpfsMode uint32
}

// RestartPolicy is the container restart policy.
type RestartPolicy struct {
	Name       string // "", "no", "always", "unless-stopped", "on-failure"
	MaxRetries int
}

// Ulimit is one ulimit.
type Ulimit struct {
	Name string
	Soft int64
	Hard int64
}

// Device maps a host device into the container.
type Device struct {
	PathOnHost        string
	PathInContainer   string
	CgroupPermissions string
}

// NetworkAttachment joins a service's containers to a network.
type NetworkAttachment struct {
	// Key is the compose network key ("default", "backend", ...).
	Key string
	// Name is the engine network name.
	Name        string
	Aliases     []string // user aliases, sorted; the executor adds container and service names
	IPv4Address string
	IPv6Address string
	// MacAddress is the container's MAC address on this network (API 1.44).
	MacAddress string
	Priority   int
	// LinkLocalIPs and DriverOpts are passed to the endpoint as given.
	LinkLocalIPs []string
	DriverOpts   map[string]string
	// GwPriority picks the network that provides the default gateway
	// (gw_priority, API 1.48).
	GwPriority int
	// InterfaceName is the container's interface on this network
	// (interface_name, API 1.49).
	InterfaceName string
}

// Network is a network of the project.
type Network struct {
	Key        string
	Name       string
	External   bool
	Driver     string
	DriverOpts map[string]string
	Labels     map[string]string // user labels; compose labels added by NetworkLabels
	Internal   bool
	Attachable bool
	EnableIPv6 bool
	// EnableIPv4 is enable_ipv4 (API 1.48); nil: the engine's default.
	EnableIPv4 *bool
	IPAM       IPAM
	ConfigHash string
}

// IPAM configures a network's address management.
type IPAM struct {
	Driver  string
	Configs []IPAMConfig
	Options map[string]string
}

// IPAMConfig is one IPAM pool.
type IPAMConfig struct {
	Subnet     string
	Gateway    string
	IPRange    string
	AuxAddress map[string]string
}

// Volume is a named volume of the project.
type Volume struct {
	Key        string
	Name       string
	External   bool
	Driver     string
	DriverOpts map[string]string
	Labels     map[string]string // user labels; compose labels added by VolumeLabels
	ConfigHash string
}

// Service returns the service with the given name.
func (p *Project) Service(name string) (*Service, bool) {
	for i := range p.Services {
		if p.Services[i].Name == name {
			return &p.Services[i], true
		}
	}
	return nil, false
}

// ServiceNames returns the names of the enabled services, sorted.
func (p *Project) ServiceNames() []string {
	names := make([]string, 0, len(p.Services))
	for _, s := range p.Services {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return names
}

// Network returns the network with the given compose key.
func (p *Project) Network(key string) (*Network, bool) {
	for i := range p.Networks {
		if p.Networks[i].Key == key {
			return &p.Networks[i], true
		}
	}
	return nil, false
}

// DefaultEngineSockets are the usual host paths of the Docker engine's socket.
var DefaultEngineSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// EngineSocketMounts returns, sorted, the services whose containers can
// reach the engine's socket, which grants control of the engine and so root
// on the host: a bind mount of the socket or of a directory above it (/run,
// /var, /), directly or through volumes_from of such a service. sockets are
// the engine's socket paths (DefaultEngineSockets are always added);
// resolve, when set, resolves a host path's symlinks.
func (p *Project) EngineSocketMounts(sockets []string, resolve func(string) string) []string {
	direct := map[string]bool{}
	for _, s := range p.Services {
		for _, m := range s.Container.Mounts {
			if m.Type == MountBind && MountReachesSocket(m.Source, sockets, resolve) {
				direct[s.Name] = true
				break
			}
		}
	}
	// volumes_from passes mounts on, possibly through several services.
	for changed := true; changed; {
		changed = false
		for _, s := range p.Services {
			if direct[s.Name] {
				continue
			}
			for _, from := range s.Container.VolumesFrom {
				name, _, _ := strings.Cut(from, ":")
				if direct[name] {
					direct[s.Name], changed = true, true
					break
				}
			}
		}
	}
	out := make([]string, 0, len(direct))
	for name := range direct {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// MountReachesSocket reports whether a bind mount of source exposes one of
// the engine's sockets: the socket itself or a directory above it, compared
// cleaned and, with resolve, with symlinks resolved on both sides.
func MountReachesSocket(source string, sockets []string, resolve func(string) string) bool {
	if source == "" {
		return false
	}
	all := append(append([]string(nil), DefaultEngineSockets...), sockets...)
	sources := []string{path.Clean(source)}
	if resolve != nil {
		sources = append(sources, resolve(sources[0]))
	}
	for _, sock := range all {
		socks := []string{path.Clean(sock)}
		if resolve != nil {
			socks = append(socks, resolve(socks[0]))
		}
		for _, src := range sources {
			for _, so := range socks {
				if src == so || src == "/" || strings.HasPrefix(so, src+"/") {
					return true
				}
			}
		}
	}
	return false
}

// HashUpToDate reports whether a container stamped with config hash h was
// created from this service's current definition, by mycompose or by any
// Docker Compose release whose hash recipe is known.
func (s *Service) HashUpToDate(h string) bool {
	if h == s.ConfigHash {
		return true
	}
	_, found := slices.BinarySearch(s.AcceptedHashes, h)
	return found
}
