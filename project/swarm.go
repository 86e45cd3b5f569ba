package project

// Swarm mode (--swarm): what the loader keeps of the deploy section and of
// secrets and configs when the project is deployed as a Swarm stack. Outside
// Swarm mode these fields are nil and the loader refuses the keys.

// StackNamespaceLabel is the label docker stack puts on every service,
// network, secret and config of a stack; mycompose writes and reads it so
// that `docker stack` and mycompose see each other's stacks.
const StackNamespaceLabel = "com.docker.stack.namespace"

// SwarmService is the Swarm-only part of a service.
type SwarmService struct {
	// Mode is "replicated" or "global".
	Mode string
	// Labels are deploy.labels (service labels; container labels stay in
	// ContainerSpec.Labels).
	Labels        map[string]string
	Constraints   []string
	Preferences   []string // spread descriptors, e.g. node.labels.zone
	MaxReplicas   uint64   // max_replicas_per_node, 0: unlimited
	Reservations  SwarmResources
	Limits        SwarmResources
	Restart       *SwarmRestartPolicy
	Update        *SwarmUpdateConfig
	Rollback      *SwarmUpdateConfig
	EndpointMode  string // "", "vip" or "dnsrr"
	Ports         []SwarmPort
	Secrets       []SwarmFileRef
	Configs       []SwarmFileRef
	IgnoredDepsOn []string // depends_on entries Swarm does not order
}

// SwarmResources are CPU (nano CPUs), memory (bytes) and pids; generic
// resources (reservations only) are the nodes' advertised discrete
// resources a task reserves ("gpu" 2).
type SwarmResources struct {
	NanoCPUs int64
	Memory   int64
	Pids     int64
	Generic  []GenericResource
}

// GenericResource is one deploy.resources.reservations.generic_resources
// entry.
type GenericResource struct {
	Kind  string
	Value int64
}

// SwarmRestartPolicy is deploy.restart_policy (durations in nanoseconds).
type SwarmRestartPolicy struct {
	Condition   string // none, on-failure, any
	Delay       *int64
	MaxAttempts *uint64
	Window      *int64
}

// SwarmUpdateConfig is deploy.update_config or rollback_config.
type SwarmUpdateConfig struct {
	Parallelism     uint64
	Delay           int64
	FailureAction   string
	Monitor         int64
	MaxFailureRatio float32
	Order           string // stop-first or start-first
}

// SwarmPort is one published port; Mode is "ingress" (default) or "host".
type SwarmPort struct {
	Target    uint32
	Published uint32
	Protocol  string
	Mode      string
}

// SwarmFileRef mounts a secret or config (by project key) into the tasks.
type SwarmFileRef struct {
	Key    string
	Target string
	UID    string
	GID    string
	Mode   uint32 // 0: default (0444)
}

// SwarmObject is a secret or config of the project.
type SwarmObject struct {
	Key string
	// Name is the name in Swarm: for an external object the name as is,
	// otherwise the base name <stack>_<key>, which the planner suffixes
	// with a content hash (Swarm secrets and configs are immutable).
	Name     string
	External bool
	Data     []byte
	Labels   map[string]string
}

// SwarmProject holds the project's secrets and configs, sorted by key.
type SwarmProject struct {
	Secrets []SwarmObject
	Configs []SwarmObject
}
