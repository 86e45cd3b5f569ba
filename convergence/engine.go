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

// ErrNotFound is returned by Engine methods when the object does not exist.
// Callers treat it as success when removing, so down is idempotent.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by create calls when an object with the same name
// already exists (for example another mycompose created it concurrently).
var ErrConflict = errors.New("already exists")

// ErrPortAllocated is returned by StartContainer when the engine refused a
// published port because it was allocated concurrently. The start can be retried.
var ErrPortAllocated = errors.New("port is already allocated")

// Engine is the narrow seam between convergence and a container engine.
// Implementations: dockerengine (the real engine) and fakeengine (tests).
type Engine interface {
	// ListContainers returns the containers carrying the project label, all
	// states included.
	ListContainers(ctx context.Context, projectName string) ([]Container, error)
	// ListNetworks returns the networks carrying the project label.
	ListNetworks(ctx context.Context, projectName string) ([]Network, error)
	// ListVolumes returns the volumes carrying the project label.
	ListVolumes(ctx context.Context, projectName string) ([]Volume, error)
	// ImageIDs resolves image references to local image IDs; references that
	// are not present locally are absent from the result.
	ImageIDs(ctx context.Context, refs []string) (map[string]string, error)
	// InspectContainer returns the container with the given name or ID.
	InspectContainer(ctx context.Context, nameOrID string) (Container, error)
	// InspectNetwork returns the network with the given name or ID.
	InspectNetwork(ctx context.Context, name string) (Network, error)
	// InspectVolume returns the volume with the given name.
	InspectVolume(ctx context.Context, name string) (Volume, error)
	// EngineVersion returns the engine's release and the API version
	// negotiated with it (asked once per connection).
	EngineVersion(ctx context.Context) (EngineVersion, error)

	// CreateNetwork creates a network and returns its ID.
	CreateNetwork(ctx context.Context, spec NetworkSpec) (string, error)
	// RemoveNetwork removes a network by name or ID.
	RemoveNetwork(ctx context.Context, id string) error
	// CreateVolume creates a named volume.
	CreateVolume(ctx context.Context, spec VolumeSpec) error
	// RemoveVolume removes a named volume.
	RemoveVolume(ctx context.Context, name string) error

	// CreateContainer creates a container and returns its ID.
	CreateContainer(ctx context.Context, spec CreateSpec) (string, error)
	// StartContainer starts a container.
	StartContainer(ctx context.Context, id string) error
	// StopContainer stops a container; a nil timeout uses the container's own
	// stop timeout.
	StopContainer(ctx context.Context, id string, timeout *time.Duration) error
	// RemoveContainer force-removes a container, with its anonymous volumes
	// when removeVolumes is set.
	RemoveContainer(ctx context.Context, id string, removeVolumes bool) error
	// RenameContainer renames a container.
	RenameContainer(ctx context.Context, id, name string) error
	// ConnectNetwork attaches a created container to a further network.
	ConnectNetwork(ctx context.Context, network, containerID string, ep Endpoint) error
	// DisconnectNetwork detaches a container from a network (forcibly, so
	// that a stopped container can be detached too).
	DisconnectNetwork(ctx context.Context, network, containerID string) error
	// CopyToContainer extracts a tar stream into a container's filesystem at
	// dstDir (secrets and configs are written this way before start).
	CopyToContainer(ctx context.Context, id, dstDir string, tarStream io.Reader) error
	// RemoveImage removes an image by reference or ID.
	RemoveImage(ctx context.Context, ref string) error
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
	Mounts  []ContainerMount
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
	// Containers are the IDs of the attached containers.
	Containers []string
}

// Volume is an observed volume.
type Volume struct {
	Name   string
	Driver string
	Labels map[string]string
}

// NetworkSpec is what CreateNetwork needs.
type NetworkSpec struct {
	Name       string
	Driver     string
	DriverOpts map[string]string
	Labels     map[string]string
	Internal   bool
	Attachable bool
	EnableIPv6 bool
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
}

// IsNotFound reports whether err means the object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
