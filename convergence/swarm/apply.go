package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// Wait polls until Converged, printing progress lines to w when they change.
// It fails on a paused or rolled back update, and on timeout with the
// errors of the services' failed tasks.
func Wait(ctx context.Context, e Engine, d *Desired, timeout time.Duration, w io.Writer) error {
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
				if err := updateFailed(d, services); err != nil {
					return err
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

func updateFailed(d *Desired, services []Service) error {
	want := map[string]bool{}
	for _, s := range d.Services {
		want[s.Name] = true
	}
	for _, s := range services {
		if want[s.Name] && (s.UpdateState == "paused" || s.UpdateState == "rollback_completed" || s.UpdateState == "rollback_paused") {
			return fmt.Errorf("service %s: update %s: %s", s.Name, strings.ReplaceAll(s.UpdateState, "_", " "), s.UpdateMessage)
		}
	}
	return nil
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

// WaitGone waits until the manager no longer lists the stack's networks
// (their removal completes asynchronously once the tasks have stopped).
func WaitGone(ctx context.Context, e Engine, stack string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		nets, err := e.ListNetworks(ctx, stack)
		if err != nil {
			return err
		}
		if len(nets) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
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
