// Package convergence turns a desired project into engine state: it observes
// the engine once, computes a Plan with a pure function, and applies the plan
// in parallel through the narrow Engine interface defined here.
package convergence

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/mycompose/mycompose/project"
)

// Sentinel errors: what the engine answered, as values. The engine adapter
// (dockerengine) makes them from the engine's replies in one place, and the
// fake engine returns the same ones; callers decide with errors.Is, never
// on message text. An adapter error wraps the sentinel and keeps the
// engine's own message for the user.
var (
	// ErrNotFound: the container, network, volume or image named does not
	// exist. Removals treat it as success, so down is idempotent.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the name is taken (create, rename), or the container is
	// already attached to the network (ConnectNetwork).
	ErrConflict = errors.New("already exists")
	// ErrPortAllocated: StartContainer was refused a published host port
	// that another container holds; the error is a *PortAllocatedError
	// naming the port. Retriable when the holder was racing us.
	ErrPortAllocated = errors.New("port is already allocated")
	// ErrNetworkInUse: RemoveNetwork refused because containers (or
	// endpoints the engine has not released yet) are attached.
	ErrNetworkInUse = errors.New("network has active endpoints")
	// ErrVolumeInUse: RemoveVolume refused because a container uses it.
	ErrVolumeInUse = errors.New("volume is in use")
	// ErrImageNotFound: CreateContainer named an image that is not present
	// on the engine (it is not ErrNotFound: the container is not missing).
	ErrImageNotFound = errors.New("image not found")
	// ErrNotRunning: the operation needs a running container (pause, kill,
	// exec, top) and it is not.
	ErrNotRunning = errors.New("container is not running")
	// ErrEngineGone: the engine answered this process once, then went away
	// in the middle of the command (restarted, connection dropped, or its
	// heartbeat stopped answering). The error is an *EngineGoneError. The
	// command cannot finish; a new one converges (up is level-based).
	ErrEngineGone = errors.New("the engine went away")
)

// EngineGoneError is the error of an engine call cut off because the engine
// went away. errors.Is(err, ErrEngineGone) holds for it.
type EngineGoneError struct {
	// Op is what was being done ("create container \"p-web-1\""), "" when
	// the loss was seen outside one call (a stream, the heartbeat).
	Op string
	// Endpoint names the engine (tcp://10.0.0.2:2375).
	Endpoint string
	// Err is what the connection reported (EOF, connection refused, no
	// answer to the heartbeat).
	Err error
}

func (e *EngineGoneError) Error() string {
	msg := "the engine at " + e.Endpoint + " went away"
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	if e.Op != "" {
		return e.Op + ": " + msg
	}
	return msg
}

// Is makes errors.Is(err, ErrEngineGone) true.
func (e *EngineGoneError) Is(target error) bool { return target == ErrEngineGone }

// Unwrap returns the connection's error.
func (e *EngineGoneError) Unwrap() error { return e.Err }

// PortAllocatedError is StartContainer's error when a published host port is
// taken. errors.Is(err, ErrPortAllocated) holds for it.
type PortAllocatedError struct {
	// HostPort is the port refused ("8080"), "" when the engine did not say.
	HostPort string
	// Err is the engine's own error.
	Err error
}

func (e *PortAllocatedError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return "port " + e.HostPort + " is already allocated"
}

// Is makes errors.Is(err, ErrPortAllocated) true.
func (e *PortAllocatedError) Is(target error) bool { return target == ErrPortAllocated }

// Unwrap returns the engine's error.
func (e *PortAllocatedError) Unwrap() error { return e.Err }

// The engine seam, split by role. Engine is what convergence needs: the
// observer, the mutator and the lifecycle. Runtime (lifecycle.go),
// ImageStore (images.go) and ImageBuilder (build.go) serve the other
// commands. Implementations: dockerengine (the real engine) and fakeengine
// (tests); the contract suite in enginetest holds both to the same answers.

// Observer reads engine state and changes nothing.
type Observer interface {
	// ListContainers returns the containers carrying the project label, all
	// states included, with their labels decoded (see DecodeLabels).
	ListContainers(ctx context.Context, projectName string) ([]Container, error)
	// ListAllContainers returns the containers of every project (those
	// carrying the project label key); all includes stopped ones.
	ListAllContainers(ctx context.Context, all bool) ([]Container, error)
	// ListNetworks returns the networks carrying the project label.
	ListNetworks(ctx context.Context, projectName string) ([]Network, error)
	// ListVolumes returns the volumes carrying the project label.
	ListVolumes(ctx context.Context, projectName string) ([]Volume, error)
	// ImageIDs resolves image references to local image IDs; references that
	// are not present locally are absent from the result.
	ImageIDs(ctx context.Context, refs []string) (map[string]string, error)
	// InspectContainer returns the container with the given name or ID;
	// ErrNotFound when there is none.
	InspectContainer(ctx context.Context, nameOrID string) (Container, error)
	// InspectNetwork returns the network with the given name or ID;
	// ErrNotFound when there is none.
	InspectNetwork(ctx context.Context, name string) (Network, error)
	// InspectVolume returns the volume with the given name; ErrNotFound
	// when there is none.
	InspectVolume(ctx context.Context, name string) (Volume, error)
	// EngineVersion returns the API version negotiated with the engine
	// and, when known without another call, its release (asked once per
	// connection).
	EngineVersion(ctx context.Context) (EngineVersion, error)
	// EngineRelease returns the engine's release ("20.10.24"), for
	// messages (asked once per connection).
	EngineRelease(ctx context.Context) (string, error)
}

// Mutator creates, changes and removes engine objects.
type Mutator interface {
	// CreateNetwork creates a network and returns its ID; ErrConflict when
	// a network of that name exists.
	CreateNetwork(ctx context.Context, spec NetworkSpec) (string, error)
	// RemoveNetwork removes a network by name or ID; ErrNotFound when it
	// does not exist, ErrNetworkInUse while containers are attached.
	RemoveNetwork(ctx context.Context, id string) error
	// CreateVolume creates a named volume; ErrConflict when a volume of that
	// name exists with other labels (an identical one is success).
	CreateVolume(ctx context.Context, spec VolumeSpec) error
	// RemoveVolume removes a named volume; ErrNotFound when it does not
	// exist, ErrVolumeInUse while a container uses it.
	RemoveVolume(ctx context.Context, name string) error
	// CreateContainer creates a container and returns its ID; ErrConflict
	// when the name is taken, ErrImageNotFound when the image is missing,
	// ErrNotFound when its primary network is.
	CreateContainer(ctx context.Context, spec CreateSpec) (string, error)
	// RemoveContainer force-removes a container, with its anonymous volumes
	// when removeVolumes is set; ErrNotFound when it does not exist.
	RemoveContainer(ctx context.Context, id string, removeVolumes bool) error
	// RenameContainer renames a container; ErrConflict when the name is
	// taken, ErrNotFound when the container does not exist.
	RenameContainer(ctx context.Context, id, name string) error
	// ConnectNetwork attaches a created container to a further network;
	// ErrConflict when it is attached already.
	ConnectNetwork(ctx context.Context, network, containerID string, ep Endpoint) error
	// DisconnectNetwork detaches a container from a network (forcibly, so
	// that a stopped container can be detached too).
	DisconnectNetwork(ctx context.Context, network, containerID string) error
	// CopyToContainer extracts a tar stream into a container's filesystem at
	// dstDir (secrets and configs are written this way before start).
	CopyToContainer(ctx context.Context, id, dstDir string, tarStream io.Reader) error
	// DeliversFiles reports whether CreateContainer delivers the spec's
	// secrets and configs itself (a local Docker engine bind-mounts them
	// read-only from a private tmpfs directory, so they never enter the
	// writable layer); when false the executor copies them in before start.
	DeliversFiles() bool
}

// Lifecycle starts and stops containers.
type Lifecycle interface {
	// StartContainer starts a container; a *PortAllocatedError
	// (ErrPortAllocated) when a published port is taken, ErrNotFound only
	// when the container itself does not exist.
	StartContainer(ctx context.Context, id string) error
	// StopContainer stops a container; a nil timeout uses the container's
	// own stop timeout. Stopping a stopped container is success.
	StopContainer(ctx context.Context, id string, timeout *time.Duration) error
}

// ImageRemover removes local images (down --rmi).
type ImageRemover interface {
	// RemoveImage removes an image by reference or ID; ErrNotFound when it
	// is not present.
	RemoveImage(ctx context.Context, ref string) error
}

// Engine is the seam between convergence and a container engine: what
// observing, planning and applying a project need.
type Engine interface {
	Observer
	Mutator
	Lifecycle
	ImageRemover
}

// Container is an observed container.
type Container struct {
	ID      string
	Name    string // without the leading "/"
	Image   string // image reference as created
	ImageID string // image ID the container runs
	// State is the engine state: created, running, paused, restarting,
	// removing, exited, dead.
	State   string
	Status  string // human status ("Up 3 minutes")
	Created time.Time
	Labels  map[string]string
	// Replica holds the compose labels decoded (service, number, one-off,
	// config hash, project, ...): engines fill it with DecodeLabels when
	// they observe, so that nothing else reads label keys.
	project.Replica
	Mounts []ContainerMount
	// Networks maps engine network name -> network ID.
	Networks map[string]string
	Ports    []ContainerPort
	Command  string
	// Health is "", "starting", "healthy" or "unhealthy".
	Health string
	// ExitCode is the exit code of an exited container.
	ExitCode int
	// HealthLog is the output of the last health probe (inspect only).
	HealthLog string
}

// DecodeLabels fills c.Replica from c.Labels. Engines call it on every
// container they return.
func (c *Container) DecodeLabels() { c.Replica = project.ParseReplicaLabels(c.Labels) }

// ContainerMount is a mount of an observed container.
type ContainerMount struct {
	Type        string // bind, volume, tmpfs
	Name        string // volume name for volumes
	Source      string
	Destination string
	ReadOnly    bool
}

// ContainerPort is a published or exposed port of an observed container.
type ContainerPort struct {
	IP          string
	PrivatePort uint16
	PublicPort  uint16
	Type        string
}

// Network is an observed network.
type Network struct {
	ID     string
	Name   string
	Driver string
	Labels map[string]string
	// Resource holds the compose labels decoded (DecodeLabels).
	project.Resource
	// Containers are the IDs of the attached containers.
	Containers []string
}

// DecodeLabels fills n.Resource from n.Labels. Engines call it on every
// network they return.
func (n *Network) DecodeLabels() { n.Resource = project.ParseNetworkLabels(n.Labels) }

// Volume is an observed volume.
type Volume struct {
	Name   string
	Driver string
	Labels map[string]string
	// Resource holds the compose labels decoded (DecodeLabels).
	project.Resource
}

// DecodeLabels fills v.Resource from v.Labels. Engines call it on every
// volume they return.
func (v *Volume) DecodeLabels() { v.Resource = project.ParseVolumeLabels(v.Labels) }

// NetworkSpec is what CreateNetwork needs.
type NetworkSpec struct {
	Name       string
	Driver     string
	DriverOpts map[string]string
	Labels     map[string]string
	Internal   bool
	Attachable bool
	EnableIPv6 bool
	// EnableIPv4 is enable_ipv4 (API 1.48); nil: the engine's default.
	EnableIPv4 *bool
	IPAM       project.IPAM
}

// VolumeSpec is what CreateVolume needs.
type VolumeSpec struct {
	Name       string
	Driver     string
	DriverOpts map[string]string
	Labels     map[string]string
}

// Endpoint configures a container's attachment to one network.
type Endpoint struct {
	Aliases      []string
	IPv4Address  string
	IPv6Address  string
	LinkLocalIPs []string
	DriverOpts   map[string]string
	MacAddress   string // API 1.44
	// Links are legacy links, "container:alias" (links, external_links).
	Links []string
	// GwPriority picks the default gateway's network (API 1.48).
	GwPriority int
}

// CreateSpec is what CreateContainer needs: the container's name, its spec
// with labels already final, and the primary network to create it on.
// Engine API 1.41 takes one network at create time and the executor
// connects the others before start; from API 1.44 (MultiNetworkCreateAPI)
// the planner puts them in Networks and the container is created on all.
type CreateSpec struct {
	Name string
	Spec project.ContainerSpec
	// NetworkMode overrides Spec.NetworkMode after resolution of
	// "service:x" to "container:<id>"; when empty and PrimaryNetwork is set,
	// the container is created on PrimaryNetwork.
	NetworkMode     string
	PrimaryNetwork  string
	PrimaryEndpoint Endpoint
	// Networks are further networks joined at create time (API 1.44+).
	Networks []NetworkEndpoint
	// OneOff, for the container of `run`, makes it ready to be attached
	// to; nil for replicas.
	OneOff *OneOffOptions
}

// IsNotFound reports whether err means the object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
