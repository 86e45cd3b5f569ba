// Package swarm deploys a project as a Docker Swarm stack. Like the local
// engine's convergence it observes (services, networks, secrets and configs
// carrying the stack namespace label), plans with a pure function, applies
// the plan through a narrow Engine, then waits until every service runs its
// replicas. Names and labels are docker stack's, so that `docker stack ps`
// and `docker stack rm` work on what mycompose deployed and the other way
// round.
package swarm

import (
	"context"
	"errors"
	"io"
	"time"
)

// HashLabel carries the hash of the service spec (replicas excluded) on the
// service and on its containers, so that the planner can tell a changed
// service from a scaled one and the waiter can tell new tasks from old.
const HashLabel = "org.mycompose.swarm.hash"

// ErrInUse is a removal refused because a service still uses the object
// (its tasks take a moment to stop after the service is removed).
var ErrInUse = errors.New("in use")

// ErrNotResolved is an image whose registry did not give its digest
// (unknown image, unreachable registry, missing credentials).
var ErrNotResolved = errors.New("image not found at its registry")

// Engine is the seam to a Swarm manager (dockerengine implements it).
type Engine interface {
	// IsManager reports whether the engine is an active Swarm manager.
	IsManager(ctx context.Context) (bool, error)
	ListServices(ctx context.Context, stack string) ([]Service, error)
	ListNetworks(ctx context.Context, stack string) ([]Object, error)
	ListSecrets(ctx context.Context, stack string) ([]Object, error)
	ListConfigs(ctx context.Context, stack string) ([]Object, error)
	ListTasks(ctx context.Context, stack string) ([]Task, error)
	// TasksOf lists the tasks the manager still keeps of these services,
	// removed ones included (a removed service's tasks stay until their
	// nodes have removed the containers).
	TasksOf(ctx context.Context, serviceIDs []string) ([]Task, error)
	ListNodes(ctx context.Context) ([]Node, error)

	CreateNetwork(ctx context.Context, n NetworkSpec) error
	RemoveNetwork(ctx context.Context, id string) error
	CreateSecret(ctx context.Context, o ObjectSpec) error
	RemoveSecret(ctx context.Context, id string) error
	CreateConfig(ctx context.Context, o ObjectSpec) error
	RemoveConfig(ctx context.Context, id string) error
	CreateService(ctx context.Context, s ServiceSpec) error
	// UpdateService replaces the spec of service id.
	UpdateService(ctx context.Context, id string, s ServiceSpec) error
	// ScaleService changes the replicas of service id and nothing else.
	ScaleService(ctx context.Context, id string, replicas uint64) error
	// RollbackService makes service id go back to its previous spec.
	RollbackService(ctx context.Context, id string) error
	// ResolveImage asks the image's registry (through the manager, with
	// the user's credentials for it) for the manifest digest of ref.
	ResolveImage(ctx context.Context, ref string) (string, error)
	// ContainerHealth returns the last health check output of a task's
	// container when the connected engine runs it ("" otherwise: the
	// manager does not see other nodes' containers).
	ContainerHealth(ctx context.Context, containerID string) (string, error)
	RemoveService(ctx context.Context, id string) error
	// ServiceLogs copies the service's logs to w, each line prefixed.
	ServiceLogs(ctx context.Context, id string, o LogOptions, w io.Writer) error
}

// LogOptions select log lines.
type LogOptions struct {
	Follow     bool
	Tail       string
	Timestamps bool
	Since      string
	Prefix     string
}

// Service is an observed Swarm service.
type Service struct {
	ID       string
	Name     string
	Labels   map[string]string
	Global   bool
	Replicas uint64
	// UpdateState is the rolling update's state ("" when none), with its message.
	UpdateState   string
	UpdateMessage string
	// UpdateStarted is when that update began (zero when none): a new
	// value tells an update started by this run from an earlier one.
	UpdateStarted time.Time
}

// Object is an observed network, secret or config.
type Object struct {
	ID     string
	Name   string
	Labels map[string]string
}

// Task is one observed task.
type Task struct {
	ID           string
	ServiceID    string
	Slot         int
	NodeID       string
	DesiredState string
	State        string
	Err          string
	Message      string
	ContainerID  string
	Image        string
	Hash         string // HashLabel of the task's container spec
	Timestamp    time.Time
}

// Node is one Swarm node.
type Node struct {
	ID       string
	Hostname string
	State    string // ready, down, ...
	Role     string
}
