package convergence

import (
	"context"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/mycompose/mycompose/project"
)

// Runtime is what the developer-workflow commands (logs, exec, run, kill,
// pause, top, cp, events, ls, ...) need from an engine beyond convergence:
// streams, signals and queries on single containers. It is separate from
// Engine so that convergence itself stays as narrow as it is; those
// commands also use Engine's ListAllContainers and CopyToContainer.
type Runtime interface {
	// ContainerState returns the runtime state of one container.
	ContainerState(ctx context.Context, id string) (ContainerDetails, error)
	// ContainerLogs writes a container's logs, stdout and stderr apart,
	// until they end: with Follow, until the container stops or ctx is done.
	ContainerLogs(ctx context.Context, id string, opts LogOptions, stdout, stderr io.Writer) error
	// KillContainer sends a signal ("SIGKILL", "HUP", "9") to the main process.
	KillContainer(ctx context.Context, id, signal string) error
	// PauseContainer freezes every process of a container.
	PauseContainer(ctx context.Context, id string) error
	// UnpauseContainer thaws a paused container.
	UnpauseContainer(ctx context.Context, id string) error
	// WaitContainer returns once the engine has registered the wait, so that
	// a start issued afterwards cannot be missed; the channel then receives
	// the exit code when the container reaches the condition.
	WaitContainer(ctx context.Context, id string, cond WaitCondition) <-chan WaitResult
	// TopContainer lists the processes of a running container.
	TopContainer(ctx context.Context, id string, psArgs []string) (Processes, error)
	// Exec runs a command in a running container with the given stdio and
	// returns its exit code (0 at once when detached).
	Exec(ctx context.Context, id string, spec ExecSpec, stdio Stdio) (int, error)
	// AttachContainer connects stdio to a container's main process and
	// returns once connected; the channel receives the end of the output.
	AttachContainer(ctx context.Context, id string, stdio Stdio) (<-chan error, error)
	// Events streams the container events of a project from the moment it
	// returns until ctx is done; the error channel reports a broken stream.
	Events(ctx context.Context, projectName string) (<-chan ContainerEvent, <-chan error)
	// StatContainerPath describes a path inside a container.
	StatContainerPath(ctx context.Context, id, path string) (PathStat, error)
	// CopyFromContainer returns a path of a container as a tar stream.
	CopyFromContainer(ctx context.Context, id, srcPath string) (io.ReadCloser, PathStat, error)
	// InspectImage describes a local image.
	InspectImage(ctx context.Context, ref string) (ImageInfo, error)
}

// LogOptions select the log lines ContainerLogs returns.
type LogOptions struct {
	Follow bool
	// Tail is "all" (or "") or the number of last lines to return.
	Tail string
	// Since and Until bound the lines by time; zero means unbounded.
	Since      time.Time
	Until      time.Time
	Timestamps bool
}

// TermSize is a terminal size in characters.
type TermSize struct{ Height, Width uint }

// Stdio connects the standard streams of a process to the client.
type Stdio struct {
	// Stdin is nil when the process gets no input.
	Stdin  io.Reader
	Stdout io.Writer
	// Stderr is unused with Tty: a terminal merges both streams.
	Stderr io.Writer
	Tty    bool
	// Resize delivers terminal sizes to apply while attached (nil: none).
	Resize <-chan TermSize
	// DetachKeys overrides the engine's key sequence that detaches from a
	// container ("ctrl-p,ctrl-q" by default); attach only.
	DetachKeys string
}

// ExecSpec is a command to run in a running container.
type ExecSpec struct {
	Cmd        []string
	Env        []string // KEY=VALUE
	User       string
	WorkingDir string
	Privileged bool
	Tty        bool
	Detach     bool
}

// OneOffOptions make the container of `run` ready to be attached to
// (CreateSpec.OneOff).
type OneOffOptions struct {
	// Interactive attaches stdin and closes the container's stdin when the
	// client's ends, which is what makes `echo x | run svc cat` terminate.
	Interactive bool
	// AutoRemove has the engine remove the container when it exits (run
	// --rm -d, where nobody is left to remove it).
	AutoRemove bool
}

// ContainerDetails is the runtime state of one container.
type ContainerDetails struct {
	ID     string
	Name   string // without the leading "/"
	Image  string
	Labels map[string]string
	// Replica holds the compose labels decoded.
	project.Replica
	Status     string // created, running, paused, restarting, exited, dead
	Running    bool
	Paused     bool
	Restarting bool
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	Tty        bool
}

// WaitCondition is what WaitContainer waits for.
type WaitCondition string

// Wait conditions of the engine.
const (
	WaitNotRunning WaitCondition = "not-running"
	WaitNextExit   WaitCondition = "next-exit"
)

// WaitResult is the end of a wait: the exit code, or why it is unknown.
type WaitResult struct {
	Code int
	Err  error
}

// Processes is the process table of a container.
type Processes struct {
	Titles []string
	Rows   [][]string
}

// ContainerEvent is an engine event about a container.
type ContainerEvent struct {
	Time time.Time
	// Action is the engine's word: create, start, die, stop, kill, pause,
	// unpause, restart, destroy, exec_start: ..., and so on.
	Action string
	ID     string
	// Attributes hold the container's labels plus name, image and, for
	// die, exitCode.
	Attributes map[string]string
	// Replica holds the compose labels among the attributes, decoded.
	project.Replica
}

// Name returns the container name.
func (e ContainerEvent) Name() string { return e.Attributes["name"] }

// ExitCode returns the exit code carried by a die event (0 when absent).
func (e ContainerEvent) ExitCode() int {
	n, _ := strconv.Atoi(e.Attributes["exitCode"])
	return n
}

// PathStat describes a file inside a container.
type PathStat struct {
	Name       string
	Size       int64
	Mode       os.FileMode
	ModTime    time.Time
	LinkTarget string
}

// ImageInfo describes a local image.
type ImageInfo struct {
	ID       string
	RepoTags []string
	Size     int64
	Created  time.Time
}

// Dependencies maps each service to the services it depends on.
type Dependencies map[string][]project.Dependency

// DependenciesOf reads the depends_on graph from the project when there is
// one (it is what the user declares now), else from the depends_on labels
// of the service containers (commands run without a compose file).
func DependenciesOf(p *project.Project, cs []Container) Dependencies {
	d := Dependencies{}
	if p != nil {
		for _, s := range p.Services {
			d[s.Name] = append([]project.Dependency(nil), s.DependsOn...)
		}
		return d
	}
	for _, c := range cs {
		if IsOneOff(c) {
			continue
		}
		svc := c.Service
		if _, seen := d[svc]; !seen {
			d[svc] = c.DependsOn
		}
	}
	return d
}

// IsOneOff reports whether c is a `run` container, which lifecycle commands
// of its service leave alone.
func IsOneOff(c Container) bool { return c.OneOff }

// WithDependencies returns names plus everything they depend on,
// transitively, sorted.
func (d Dependencies) WithDependencies(names []string) []string {
	return project.Closure(names, func(s string) []string {
		var out []string
		for _, dep := range d[s] {
			out = append(out, dep.Service)
		}
		return out
	})
}

// WithRestartDependents returns names plus the services that declare
// `depends_on: {X: {restart: true}}` on one of them, transitively, sorted:
// restarting X restarts those too.
func (d Dependencies) WithRestartDependents(names []string) []string {
	return project.Closure(names, func(s string) []string {
		var out []string
		for svc, deps := range d {
			for _, dep := range deps {
				if dep.Service == s && dep.Restart {
					out = append(out, svc)
				}
			}
		}
		return out
	})
}

// transitive returns service -> every service it depends on, directly or not.
func (d Dependencies) transitive() map[string][]string {
	out := make(map[string][]string, len(d))
	for s := range d {
		all := d.WithDependencies([]string{s})
		deps := all[:0:0]
		for _, x := range all {
			if x != s {
				deps = append(deps, x)
			}
		}
		out[s] = deps
	}
	return out
}

// lifecycleContainers returns the service containers (no one-offs) of the
// selected services (nil: all), sorted by name.
func lifecycleContainers(cs []Container, services []string) []Container {
	in := map[string]bool{}
	for _, s := range services {
		in[s] = true
	}
	var out []Container
	for _, c := range sortedContainers(cs) {
		if IsOneOff(c) || (services != nil && !in[c.Service]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// PlanStart starts the stopped containers of the services (nil: all), each
// after the starts of the services it depends on, directly or not.
func PlanStart(cs []Container, deps Dependencies, services []string) *Plan {
	plan := &Plan{}
	byService := map[string][]int{}
	for _, c := range lifecycleContainers(cs, services) {
		switch c.State {
		case "created", "exited", "dead":
		default:
			continue
		}
		svc := c.Service
		byService[svc] = append(byService[svc], len(plan.Actions))
		plan.Actions = append(plan.Actions, Action{Kind: StartContainer, Name: c.Name, ContainerID: c.ID,
			Service: svc, Number: replicaNumber(c), Reason: c.State, PublishesPorts: len(c.Ports) > 0})
	}
	wireLifecycle(plan, byService, deps.transitive(), nil)
	return plan
}

// PlanStop stops the running containers of the services (nil: all), each
// after the stops of the services that depend on it, directly or not.
func PlanStop(cs []Container, deps Dependencies, services []string, timeout *time.Duration) *Plan {
	plan := &Plan{}
	byService := map[string][]int{}
	for _, c := range lifecycleContainers(cs, services) {
		switch c.State {
		case "running", "paused", "restarting":
		default:
			continue
		}
		svc := c.Service
		byService[svc] = append(byService[svc], len(plan.Actions))
		plan.Actions = append(plan.Actions, Action{Kind: StopContainer, Name: c.Name, ContainerID: c.ID,
			Service: svc, Number: replicaNumber(c), Reason: "stop", Timeout: timeout})
	}
	wireLifecycle(plan, byService, invertDependencies(deps.transitive()), nil)
	return plan
}

// PlanRestart restarts every container of the services (nil: all) as a stop
// then a start, a service only once those it depends on have restarted.
func PlanRestart(cs []Container, deps Dependencies, services []string, timeout *time.Duration) *Plan {
	plan := &Plan{}
	starts := map[string][]int{}
	var stops []int
	for _, c := range lifecycleContainers(cs, services) {
		svc := c.Service
		stop := len(plan.Actions)
		stops = append(stops, stop)
		plan.Actions = append(plan.Actions,
			Action{Kind: StopContainer, Name: c.Name, ContainerID: c.ID, Service: svc, Number: replicaNumber(c), Reason: "restart", Timeout: timeout},
			Action{Kind: StartContainer, Name: c.Name, ContainerID: c.ID, Service: svc, Number: replicaNumber(c), Reason: "restart",
				PublishesPorts: len(c.Ports) > 0, After: []int{stop}})
		starts[svc] = append(starts[svc], stop+1)
	}
	wireLifecycle(plan, starts, deps.transitive(), stops)
	return plan
}

// wireLifecycle makes the actions of each service wait for the actions of the
// services it waits on (byService of those); only includes the indexes in
// only when it is non-nil.
func wireLifecycle(plan *Plan, byService map[string][]int, waitsOn map[string][]string, only []int) {
	filter := map[int]bool{}
	for _, i := range only {
		filter[i] = true
	}
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if only != nil && !filter[i] {
			continue
		}
		for _, other := range waitsOn[a.Service] {
			// A cycle (possible in labels written by other tools) would
			// deadlock the executor: such services run unordered.
			if !slices.Contains(waitsOn[other], a.Service) {
				a.After = append(a.After, byService[other]...)
			}
		}
		sort.Ints(a.After)
	}
}

// invertDependencies inverts a dependency map: service -> services depending on it.
func invertDependencies(deps map[string][]string) map[string][]string {
	out := map[string][]string{}
	for s, ds := range deps {
		for _, d := range ds {
			out[d] = append(out[d], s)
		}
	}
	for s := range out {
		sort.Strings(out[s])
	}
	return out
}

func replicaNumber(c Container) int { return c.Number }
