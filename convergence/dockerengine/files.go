package dockerengine

import (
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// sweepAge is how old an unused secrets directory must be before a listing
// removes it: younger ones may belong to a container being created.
const sweepAge = time.Minute

// DeliversFiles reports whether CreateContainer delivers ContainerSpec.Files
// itself (read-only bind mounts from the host's private tmpfs directory),
// so that the executor must not copy them in.
func (e *Engine) DeliversFiles() bool { return e.files != nil }

// withFiles turns the spec's secrets and configs into read-only bind mounts
// of files written to the host store. It returns the spec to create and
// the store directory (to remove if the create fails), or the spec
// unchanged when the engine is remote or there are no files.
func (e *Engine) withFiles(cs convergence.CreateSpec) (convergence.CreateSpec, string, error) {
	if e.files == nil || len(cs.Spec.Files) == 0 {
		return cs, "", nil
	}
	dir, mounts, err := e.files.Put(cs.Spec.Labels[project.LabelProject], cs.Spec.Files)
	if err != nil {
		return cs, "", err
	}
	cs.Spec.Mounts = append(append([]project.Mount(nil), cs.Spec.Mounts...), mounts...)
	cs.Spec.Files = nil
	return cs, dir, nil
}

// created records (or, on failure, removes) a container's store directory.
func (e *Engine) created(id, dir string, err error) {
	if dir == "" {
		return
	}
	if err != nil {
		e.files.Remove(dir)
		return
	}
	e.fileDirs.Store(id, dir)
}

// learnFiles remembers the store directories of listed containers, then
// removes the project's directories that no container uses any more.
func (e *Engine) learnFiles(projectName string, cs []convergence.Container) {
	if e.files == nil {
		return
	}
	live := map[string]bool{}
	for _, c := range cs {
		for _, m := range c.Mounts {
			if dir, ok := e.files.Owns(m.Source); ok && m.Type == project.MountBind {
				live[dir] = true
				e.fileDirs.Store(c.ID, dir)
			}
		}
	}
	e.files.Sweep(projectName, live, sweepAge)
}

// removed deletes the store directory of a removed container.
func (e *Engine) removed(id string) {
	if dir, ok := e.fileDirs.LoadAndDelete(id); ok {
		e.files.Remove(dir.(string))
	}
}
