package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Observe reads the stack from the manager.
func Observe(ctx context.Context, e Engine, stack string) (Observed, error) {
	var o Observed
	var err error
	if o.Services, err = e.ListServices(ctx, stack); err != nil {
		return o, err
	}
	if o.Networks, err = e.ListNetworks(ctx, stack); err != nil {
		return o, err
	}
	if o.Secrets, err = e.ListSecrets(ctx, stack); err != nil {
		return o, err
	}
	if o.Configs, err = e.ListConfigs(ctx, stack); err != nil {
		return o, err
	}
	return o, nil
}

// Apply runs the actions in order, printing one line per action to w.
// Networks still in use by tasks that are shutting down are retried.
func Apply(ctx context.Context, e Engine, acts []Action, w io.Writer) error {
	for _, a := range acts {
		fmt.Fprintf(w, " %s %s\n", a.Kind, a.Name)
		var err error
		switch a.Kind {
		case CreateNetwork:
			err = e.CreateNetwork(ctx, *a.Network)
		case CreateSecret:
			err = e.CreateSecret(ctx, *a.Object)
		case CreateConfig:
			err = e.CreateConfig(ctx, *a.Object)
		case CreateService:
			err = e.CreateService(ctx, *a.Service)
		case UpdateService:
			err = e.UpdateService(ctx, a.ID, *a.Service)
		case ScaleService:
			err = e.ScaleService(ctx, a.ID, a.Replicas)
		case RemoveService:
			err = e.RemoveService(ctx, a.ID)
		case RemoveSecret:
			err = retryInUse(ctx, func() error { return e.RemoveSecret(ctx, a.ID) })
		case RemoveConfig:
			err = retryInUse(ctx, func() error { return e.RemoveConfig(ctx, a.ID) })
		case RemoveNetwork:
			err = retryInUse(ctx, func() error { return e.RemoveNetwork(ctx, a.ID) })
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", a.Kind, a.Name, err)
		}
	}
	return nil
}

// retryInUse retries for up to a minute while the object is still in use
// (tasks of removed services take a moment to stop).
func retryInUse(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := f()
		if err == nil || !errors.Is(err, ErrInUse) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Progress is a service's state while waiting.
type Progress struct {
	Service string
	Running int // running tasks of the current spec
	Desired int // -1 for global services until the nodes are known
	Old     int // running tasks of a previous spec
}

// Converged reports whether every service runs its replicas of the current
// spec and nothing else, and returns the progress of each. Pure.
func Converged(d *Desired, services []Service, tasks []Task, nodes []Node) (bool, []Progress) {
	byName := map[string]Service{}
	for _, s := range services {
		byName[s.Name] = s
	}
	ready := 0
	for _, n := range nodes {
		if n.State == "ready" {
			ready++
		}
	}
	done := true
	var out []Progress
	for _, s := range d.Services {
		obs, ok := byName[s.Name]
		p := Progress{Service: s.Name, Desired: int(s.Replicas)}
		if s.Global {
			p.Desired = -1
		}
		globalWant := 0
		for _, t := range tasks {
			if !ok || t.ServiceID != obs.ID || t.DesiredState != "running" {
				continue
			}
			if s.Global && t.Hash == s.Hash {
				globalWant++
			}
			if t.State != "running" {
				continue
			}
			if t.Hash == s.Hash {
				p.Running++
			} else {
				p.Old++
			}
		}
		if s.Global {
			p.Desired = globalWant
		}
		if !ok || p.Running != p.Desired || p.Old > 0 || (s.Global && p.Desired == 0 && ready > 0) {
			done = false
		}
		if ok && (obs.UpdateState == "updating" || obs.UpdateState == "rollback_started") {
			done = false
		}
		out = append(out, p)
	}
	return done, out
}

// onLiveNodes keeps the tasks of ready nodes: a node that is down cannot
// remove its containers until it is back, and is not waited for. Pure.
func onLiveNodes(tasks []Task, nodes []Node) []Task {
	ready := map[string]bool{}
	for _, n := range nodes {
		ready[n.ID] = n.State == "ready"
	}
	var out []Task
	for _, t := range tasks {
		if ready[t.NodeID] {
			out = append(out, t)
		}
	}
	return out
}

// ErrUpdateFailed is a rolling update the manager paused or rolled back.
var ErrUpdateFailed = errors.New("update failed")

// Wait polls until Converged, printing progress lines to w when they change.
// It fails on an update paused or rolled back since before (the services
// as observed before the changes were applied: an earlier update's outcome
// is not this run's), naming the service, its failed tasks and their last
// health check output; on timeout it fails with the errors of the
// services' failed tasks.
func Wait(ctx context.Context, e Engine, d *Desired, before []Service, timeout time.Duration, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	var tasks []Task
	for {
		services, err := e.ListServices(ctx, d.Stack)
		if err == nil {
			var nodes []Node
			if tasks, err = e.ListTasks(ctx, d.Stack); err == nil {
				nodes, err = e.ListNodes(ctx)
			}
			if err == nil {
				if failed := UpdateFailed(d, before, services); failed != nil {
					return failureError(ctx, e, d, *failed, tasks, nodes)
				}
				ok, progress := Converged(d, services, tasks, nodes)
				line := formatProgress(progress)
				if line != last {
					fmt.Fprintf(w, " waiting: %s\n", line)
					last = line
				}
				if ok {
					return nil
				}
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("services not running after %s (%s)%s", timeout, last, taskErrors(d, services, tasks))
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		if ctx.Err() != nil {
			return fmt.Errorf("services not running after %s: %w", timeout, err)
		}
		return err
	}
}

// UpdateFailed returns the first desired service whose update is paused,
// or was rolled back after before was observed (an earlier run's rollback
// left the service as it was: not this run's failure). Pure.
func UpdateFailed(d *Desired, before, services []Service) *Service {
	want := map[string]bool{}
	for _, s := range d.Services {
		want[s.Name] = true
	}
	prior := map[string]time.Time{}
	for _, s := range before {
		prior[s.Name] = s.UpdateStarted
	}
	for _, s := range services {
		if !want[s.Name] {
			continue
		}
		switch s.UpdateState {
		case "paused", "rollback_paused":
			// Stuck, whichever run started it: nothing converges until
			// an update or rollback resumes it.
			return &s
		case "rollback_completed":
			if !s.UpdateStarted.Equal(prior[s.Name]) {
				return &s
			}
		}
	}
	return nil
}

// failureError names the failed service, its failed tasks of the new spec
// and, for those the connected engine runs, their last health output.
func failureError(ctx context.Context, e Engine, d *Desired, s Service, tasks []Task, nodes []Node) error {
	health := map[string]string{}
	for _, t := range FailedTasks(d, s, tasks) {
		if out, err := e.ContainerHealth(ctx, t.ContainerID); err == nil && out != "" {
			health[t.ID] = out
		}
	}
	return fmt.Errorf("service %s: %w: %s%s", s.Name, ErrUpdateFailed, strings.ReplaceAll(s.UpdateState, "_", " "),
		FormatFailure(d, s, tasks, nodes, health))
}

// FailedTasks are the service's tasks of its desired spec that failed,
// newest first. Pure.
func FailedTasks(d *Desired, s Service, tasks []Task) []Task {
	hash := ""
	for _, ds := range d.Services {
		if ds.Name == s.Name {
			hash = ds.Hash
		}
	}
	var out []Task
	for _, t := range tasks {
		if t.ServiceID == s.ID && t.Hash == hash && (t.State == "failed" || t.State == "rejected" || t.Err != "") {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp.After(out[j].Timestamp) })
	return out
}

// FormatFailure renders the manager's message and one line per failed
// task: slot, node, error, and the last health output when known. Pure.
func FormatFailure(d *Desired, s Service, tasks []Task, nodes []Node, health map[string]string) string {
	host := map[string]string{}
	for _, n := range nodes {
		host[n.ID] = n.Hostname
	}
	var b strings.Builder
	if s.UpdateMessage != "" && s.UpdateMessage != strings.ReplaceAll(s.UpdateState, "_", " ") {
		fmt.Fprintf(&b, " (%s)", s.UpdateMessage)
	}
	for _, t := range FailedTasks(d, s, tasks) {
		id := t.ID
		if len(id) > 12 {
			id = id[:12]
		}
		node := host[t.NodeID]
		if node == "" {
			node = "no node"
		}
		fmt.Fprintf(&b, "\n  task %s.%d (%s) on %s: %s", s.Name, t.Slot, id, node, cmp.Or(t.Err, t.State))
		if h := health[t.ID]; h != "" {
			fmt.Fprintf(&b, "\n    last health check: %s", h)
		}
	}
	return b.String()
}

func formatProgress(ps []Progress) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		s := fmt.Sprintf("%s %d/%d", p.Service, p.Running, p.Desired)
		if p.Old > 0 {
			s += fmt.Sprintf(" (+%d old)", p.Old)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// taskErrors lists the distinct errors of the stack's recent failed tasks.
func taskErrors(d *Desired, services []Service, tasks []Task) string {
	names := map[string]string{}
	for _, s := range services {
		names[s.ID] = s.Name
	}
	seen := map[string]bool{}
	var lines []string
	for _, t := range tasks {
		if t.Err == "" || names[t.ServiceID] == "" {
			continue
		}
		l := fmt.Sprintf("%s: %s", names[t.ServiceID], t.Err)
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	sort.Strings(lines)
	return "\n  " + strings.Join(lines, "\n  ")
}

// WaitGone waits until the removed services' tasks are gone (their nodes
// have removed the containers) and the manager no longer lists the stack's
// networks (their removal completes once the tasks have stopped).
func WaitGone(ctx context.Context, e Engine, stack string, removed []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		all, err := e.TasksOf(ctx, removed)
		if err != nil {
			return err
		}
		nodes, err := e.ListNodes(ctx)
		if err != nil {
			return err
		}
		tasks := onLiveNodes(all, nodes)
		nets, err := e.ListNetworks(ctx, stack)
		if err != nil {
			return err
		}
		if len(nets) == 0 && len(tasks) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if len(tasks) > 0 {
				return fmt.Errorf("%d task(s) of the removed services still present after %s", len(tasks), timeout)
			}
			return fmt.Errorf("network %s still present after %s", nets[0].Name, timeout)
		}
		for _, n := range nets {
			_ = e.RemoveNetwork(ctx, n.ID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// WaitRolledBack waits until the rollback of each named service, started
// after before was observed, completes, printing one line per service.
// A paused rollback fails with the manager's message.
func WaitRolledBack(ctx context.Context, e Engine, stack string, names []string, before []Service, timeout time.Duration, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	prior := map[string]time.Time{}
	for _, s := range before {
		prior[s.Name] = s.UpdateStarted
	}
	done := map[string]bool{}
	for {
		services, err := e.ListServices(ctx, stack)
		if err != nil {
			return err
		}
		for _, s := range services {
			if !slices.Contains(names, s.Name) || done[s.Name] || s.UpdateStarted.Equal(prior[s.Name]) {
				continue
			}
			switch s.UpdateState {
			case "rollback_completed":
				done[s.Name] = true
				fmt.Fprintf(w, " rolled back %s\n", s.Name)
			case "rollback_paused", "paused":
				return fmt.Errorf("service %s: %w: rollback paused: %s", s.Name, ErrUpdateFailed, s.UpdateMessage)
			}
		}
		if len(done) == len(names) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rollback not completed after %s", timeout)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
