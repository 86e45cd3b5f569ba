package convergence

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mycompose/mycompose/project"
)

// Kind is the kind of a plan action.
type Kind int

// Action kinds. Each names what happens to one engine object.
const (
	CreateNetwork   Kind = iota
	RecreateNetwork      // replace a network whose configuration changed, keeping its containers
	CreateVolume
	RecreateVolume    // remove and create a volume whose configuration changed (consented)
	CreateContainer   // create (and start unless NoStart) a new replica
	RecreateContainer // replace a replica whose config or image changed
	StartContainer    // start an existing stopped replica
	RenameContainer   // finish an interrupted recreate
	RestartContainer  // restart a dependent of a recreated service (depends_on.restart)
	StopContainer     // stop without removing
	RemoveContainer   // stop and remove
	RemoveNetwork
	RemoveVolume
	RemoveImage // down --rmi
	// FailService stands for a service that cannot converge (its image is
	// missing and cannot be pulled): applying it fails with Err, which
	// skips its dependents and nothing else.
	FailService
)

var kindNames = map[Kind]string{
	CreateNetwork:     "create network",
	RecreateNetwork:   "recreate network",
	CreateVolume:      "create volume",
	RecreateVolume:    "recreate volume",
	CreateContainer:   "create container",
	RecreateContainer: "recreate container",
	StartContainer:    "start container",
	RenameContainer:   "rename container",
	RestartContainer:  "restart container",
	StopContainer:     "stop container",
	RemoveContainer:   "remove container",
	RemoveNetwork:     "remove network",
	RemoveVolume:      "remove volume",
	RemoveImage:       "remove image",
	FailService:       "fail service",
}

func (k Kind) String() string { return kindNames[k] }

// Action is one step of a plan: what happens to one engine object, and why.
type Action struct {
	Kind Kind
	// Name is the engine name of the object once the action is done.
	Name string
	// Reason says why the action is needed ("scale 1→3", "config changed").
	Reason string
	// Service and Number identify the replica for container actions.
	Service string
	Number  int
	// ContainerID is the existing container acted on (recreate, start,
	// rename, stop, remove).
	ContainerID string
	// OldRunning: the container a recreate replaces was running.
	OldRunning bool
	// Create holds the container to create (create, recreate).
	Create *CreateSpec
	// Networks are the further networks to connect before start, by engine
	// network name.
	Networks []NetworkEndpoint
	// PublishesPorts marks containers whose start may race on the engine's
	// port allocator.
	PublishesPorts bool
	// Attached are the containers a network recreate detaches and
	// reattaches.
	Attached []AttachedContainer
	// NetworkID names the network to remove when the name is ambiguous.
	NetworkID string
	// NetworkSpec and VolumeSpec hold what to create.
	NetworkSpec *NetworkSpec
	VolumeSpec  *VolumeSpec
	// After lists indexes of actions that must complete before this one's
	// main step (start, stop, remove). Creation may run earlier.
	After []int
	// CreateAfter lists indexes of actions that must complete before the
	// container can even be created (network_mode: service:x).
	CreateAfter []int
	// NetworkModeService is the service whose container this one's network
	// namespace joins (network_mode: service:x); resolved at apply time.
	NetworkModeService string
	// Timeout is the stop timeout for stop/remove/recreate; nil: the
	// container's own.
	Timeout *time.Duration
	// RemoveVolumes removes anonymous volumes with the container.
	RemoveVolumes bool
	// NoStart leaves created containers stopped (up --no-start, create).
	NoStart bool
	// Conditions are the depends_on conditions (healthy, completed) that
	// must hold before the container starts.
	Conditions []project.Dependency
	// OneOff marks the container of `run`.
	OneOff bool
	// Err is why a FailService action fails.
	Err error
}

// AttachedContainer is a container on a network being recreated.
type AttachedContainer struct {
	ID       string
	Name     string
	Running  bool
	Endpoint Endpoint
}

// NetworkEndpoint is a network to connect and the endpoint settings.
type NetworkEndpoint struct {
	Network  string
	Endpoint Endpoint
}

// Plan is the ordered list of actions that converge the engine, plus
// messages for the user. It is a value: printing it changes nothing.
type Plan struct {
	// Project is the project name, for the executor's condition checks.
	Project  string
	Actions  []Action
	Warnings []string
	// VolumeChanges are existing volumes whose configuration changed.
	// Recreating them deletes their data, so the plan only does it with
	// UpOptions.RecreateVolumes; the caller asks the user first.
	VolumeChanges []string
	// Notes are informational lines that --dry-run prints (keys that only
	// a Swarm applies); they do not change anything.
	Notes []string
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Actions) == 0 }

// String renders one action per line with the edges the executor respects:
// "after [...]" names the actions whose end its main step (start, stop,
// remove) waits for, "create after [...]" those its creation waits for, and
// "when ..." the depends_on conditions checked before it starts. It is the
// golden value of planner tests, so that a wrong order shows in a diff; the
// --dry-run listing prints Action.String, without the edges.
func (p *Plan) String() string {
	var b strings.Builder
	for _, a := range p.Actions {
		b.WriteString(a.String())
		p.writeEdges(&b, " create after", a.CreateAfter)
		p.writeEdges(&b, " after", a.After)
		for i, c := range a.Conditions {
			if i == 0 {
				b.WriteString(" when ")
			} else {
				b.WriteString(", ")
			}
			b.WriteString(c.Service + " " + strings.TrimPrefix(c.Condition, "service_"))
		}
		b.WriteByte('\n')
	}
	for _, w := range p.Warnings {
		b.WriteString("warning: ")
		b.WriteString(w)
		b.WriteByte('\n')
	}
	return b.String()
}

func (p *Plan) writeEdges(b *strings.Builder, label string, idx []int) {
	if len(idx) == 0 {
		return
	}
	b.WriteString(label + " [")
	for i, j := range idx {
		if i > 0 {
			b.WriteString(", ")
		}
		if j < 0 || j >= len(p.Actions) {
			fmt.Fprintf(b, "#%d", j)
			continue
		}
		b.WriteString(p.Actions[j].Kind.String() + " " + p.Actions[j].Name)
	}
	b.WriteString("]")
}

// String renders one action, without its edges: a line of --dry-run.
func (a Action) String() string {
	s := a.Kind.String() + " " + a.Name
	if a.Reason != "" {
		s += " (" + a.Reason + ")"
	}
	return s
}

// containerEndpoint builds the endpoint of a replica on one network.
func containerEndpoint(svc *project.Service, att project.NetworkAttachment, containerName string) Endpoint {
	aliases := []string{svc.Name}
	if containerName != "" {
		aliases = append(aliases, containerName)
	}
	aliases = append(aliases, att.Aliases...)
	return Endpoint{Aliases: aliases, IPv4Address: att.IPv4Address, IPv6Address: att.IPv6Address,
		LinkLocalIPs: att.LinkLocalIPs, DriverOpts: endpointDriverOpts(att), MacAddress: att.MacAddress,
		GwPriority: att.GwPriority}
}

// ifnameOpt is the endpoint driver option that names the container's
// interface (interface_name, API 1.49), as Docker Compose sets it.
const ifnameOpt = "com.docker.network.endpoint.ifname"

// endpointDriverOpts are the attachment's driver_opts plus its
// interface_name.
func endpointDriverOpts(att project.NetworkAttachment) map[string]string {
	if att.InterfaceName == "" {
		return att.DriverOpts
	}
	out := map[string]string{ifnameOpt: att.InterfaceName}
	for k, v := range att.DriverOpts {
		out[k] = v
	}
	return out
}

// serviceLinks are the legacy links of a service's containers, as Docker
// Compose computes them: for each linked service's replica, its name under
// the alias, under SERVICE-N and PROJECT-SERVICE-N (N this replica's
// number), then the external links.
func serviceLinks(p *project.Project, svc *project.Service, number int) []string {
	var out []string
	for _, l := range svc.Links {
		target, ok := p.Service(l.Service)
		if !ok {
			continue
		}
		for i := 1; i <= target.Replicas; i++ {
			name := p.ReplicaName(target, i)
			n := strconv.Itoa(number)
			out = append(out, name+":"+l.Alias, name+":"+l.Service+"-"+n, name+":"+p.Name+"-"+l.Service+"-"+n)
		}
	}
	return append(out, svc.ExternalLinks...)
}
