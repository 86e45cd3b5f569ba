package convergence

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/mycompose/mycompose/project"
)

// LabelHook marks a pre_start runner container with "<project>/<service>":
// it carries no compose project label, so that no plan ever takes it for a
// replica or an orphan.
const LabelHook = "io.mycompose.pre_start"

// preStartOnce runs a service's once-per-service pre_start hooks once per
// Apply, however many replicas start.
type preStartOnce struct {
	mu  sync.Mutex
	run map[string]*onceErr
}

type onceErr struct {
	once sync.Once
	err  error
}

func (p *preStartOnce) get(service string) *onceErr {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run == nil {
		p.run = map[string]*onceErr{}
	}
	if p.run[service] == nil {
		p.run[service] = &onceErr{}
	}
	return p.run[service]
}

// preStart runs the pre_start init containers of the service of a replica
// about to start (id), as Docker Compose does: in file order, each with
// the replica's volumes (volumes_from) on the service's network; a hook
// that exits non-zero stops the start with its status and last output.
// Hooks without per_replica run once per service and command.
func (r *applyRun) preStart(a *Action, id string) error {
	if r.x.Project == nil || r.x.Hooks == nil || a.OneOff {
		return nil
	}
	svc, ok := r.x.Project.Service(a.Service)
	if !ok || len(svc.PreStart) == 0 {
		return nil
	}
	o := r.preStarts.get(svc.Name)
	o.once.Do(func() {
		for i, h := range svc.PreStart {
			if !h.PerReplica {
				if o.err = r.runPreStart(svc, i, h, id, ""); o.err != nil {
					return
				}
			}
		}
	})
	if o.err != nil {
		return o.err
	}
	for i, h := range svc.PreStart {
		if h.PerReplica {
			if err := r.runPreStart(svc, i, h, id, strconv.Itoa(a.Number)); err != nil {
				return err
			}
		}
	}
	return nil
}

// runPreStart creates, runs, reads and removes one init container.
func (r *applyRun) runPreStart(svc *project.Service, i int, h project.PreStartHook, replicaID, replica string) error {
	p := r.x.Project
	name := strings.Join([]string{p.Name, svc.Name, "pre_start", strconv.Itoa(i)}, "-")
	if replica != "" {
		name += "-" + replica
	}
	what := fmt.Sprintf("service %q pre_start[%d]", svc.Name, i)
	spec := h.Container
	spec.Files = nil // the replica's secrets and configs come with its volumes
	spec.Labels = map[string]string{LabelHook: p.Name + "/" + svc.Name}
	for k, v := range h.Container.Labels {
		spec.Labels[k] = v
	}
	spec.VolumesFrom = append(append([]string(nil), spec.VolumesFrom...), replicaID)
	spec.Restart = project.RestartPolicy{}
	cs := CreateSpec{Name: name, Spec: spec}
	switch m := spec.NetworkMode; {
	case m == "host", m == "none", m == "bridge", strings.HasPrefix(m, "container:"):
	case len(svc.Networks) > 0:
		cs.Spec.NetworkMode = ""
		cs.PrimaryNetwork = svc.Networks[0].Name
	default:
		cs.Spec.NetworkMode = "none"
	}
	// A runner a killed run left behind.
	_ = r.call(func(ctx context.Context) error { return r.x.Engine.RemoveContainer(ctx, name, true) })
	var cid string
	err := r.call(func(ctx context.Context) (err error) {
		cid, err = r.x.Engine.CreateContainer(ctx, cs)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: create %q: %w", what, name, err)
	}
	defer r.call(func(ctx context.Context) error { return r.x.Engine.RemoveContainer(ctx, cid, true) })
	r.emit(ObjectContainer, name, StatusStarting, "pre_start")
	wait := r.x.Hooks.WaitContainer(r.calls, cid, WaitNextExit)
	if err := r.call(func(ctx context.Context) error { return r.x.Engine.StartContainer(ctx, cid) }); err != nil {
		return fmt.Errorf("%s: start %q: %w", what, name, err)
	}
	res := <-wait
	if res.Err != nil {
		return fmt.Errorf("%s: %w", what, res.Err)
	}
	if res.Code != 0 {
		var out hookOutput
		_ = r.x.Hooks.ContainerLogs(r.calls, cid, LogOptions{Tail: "20"}, &out, &out)
		msg := fmt.Sprintf("%s exited with status %d", what, res.Code)
		if s := strings.TrimSpace(out.buf.String()); s != "" {
			msg += ":\n" + s
		}
		return fmt.Errorf("%s%.0w", msg, ErrHookFailed)
	}
	r.emit(ObjectContainer, name, StatusExited, "pre_start")
	return nil
}
