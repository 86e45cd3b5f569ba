package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// Helpers shared by the developer-workflow commands (logs, start, stop,
// exec, run, ...): finding the project and its containers, and running one
// engine call per container in parallel.

// projectTarget is a project resolved for a lifecycle command: its name, the
// loaded project when there is a compose file, and an open engine.
type projectTarget struct {
	name string
	p    *project.Project
	eng  Engine
}

// openTarget resolves the project (from the compose file, or -p alone),
// checks that the named services exist when the file is known, and
// connects. The caller closes t.eng.
func (g *globalOptions) openTarget(ctx context.Context, deps *Deps, services []string) (*projectTarget, error) {
	name, p, err := g.projectName(ctx, deps)
	if err != nil {
		return nil, err
	}
	if p != nil {
		for _, s := range services {
			if _, ok := p.Service(s); !ok {
				return nil, unknownService(p, s)
			}
		}
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return nil, err
	}
	return &projectTarget{name: name, p: p, eng: eng}, nil
}

// containers lists the project's containers.
func (t *projectTarget) containers(ctx context.Context) ([]convergence.Container, error) {
	return t.eng.ListContainers(ctx, t.name)
}

// dependencies returns the depends_on graph, from the file or the labels.
func (t *projectTarget) dependencies(cs []convergence.Container) convergence.Dependencies {
	return convergence.DependenciesOf(t.p, cs)
}

// selectContainers returns the containers of the services (all when none
// are named), one-offs included only when asked, with the given replica
// number when index > 0, sorted by name.
func selectContainers(cs []convergence.Container, services []string, index int, oneOffs bool) []convergence.Container {
	var out []convergence.Container
	for _, c := range cs {
		if convergence.IsOneOff(c) && !oneOffs {
			continue
		}
		if len(services) > 0 && !contains(services, c.Service) {
			continue
		}
		if index > 0 && c.Number != index {
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// serviceContainer finds replica index (1 when 0) of a service, for the
// commands that work on one container (exec, port, cp).
func serviceContainer(cs []convergence.Container, service string, index int) (convergence.Container, error) {
	if index <= 0 {
		index = 1
	}
	found := selectContainers(cs, []string{service}, index, false)
	if len(found) == 0 {
		all := selectContainers(cs, []string{service}, 0, false)
		if len(all) == 0 {
			return convergence.Container{}, fmt.Errorf("service %q has no container: run `mycompose up -d %s` first", service, service)
		}
		return convergence.Container{}, fmt.Errorf("service %q has no container with index %d", service, index)
	}
	return found[0], nil
}

// inStates keeps the containers in one of the states.
func inStates(cs []convergence.Container, states ...string) []convergence.Container {
	var out []convergence.Container
	for _, c := range cs {
		if contains(states, c.State) {
			out = append(out, c)
		}
	}
	return out
}

// eachContainer runs fn on every container in parallel (bounded like the
// executor), printing " Container <name>  <doing>" and "<done>" lines as
// Docker Compose does, and returns the errors joined.
func eachContainer(ctx context.Context, deps *Deps, cs []convergence.Container, doing, done string,
	fn func(ctx context.Context, c convergence.Container) error) error {
	sem := make(chan struct{}, parallelLimit(deps))
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	progress := plainProgress(deps.Stderr)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			mu.Lock()
			progress(convergence.Event{Object: convergence.ObjectContainer, Name: c.Name, Status: doing})
			mu.Unlock()
			err := fn(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				progress(convergence.Event{Object: convergence.ObjectContainer, Name: c.Name, Status: convergence.StatusError})
				errs = append(errs, err)
				return
			}
			progress(convergence.Event{Object: convergence.ObjectContainer, Name: c.Name, Status: done})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lock takes the project lock for commands that change containers, so
// that they do not interleave with a converging `up` of the same project.
func (t *projectTarget) lock(ctx context.Context, deps *Deps, g *globalOptions) (unlock func(), err error) {
	if g.DryRun {
		return func() {}, nil
	}
	l, err := lockProject(ctx, t.eng.Endpoint(), t.name, deps.Stderr)
	if err != nil {
		return nil, err
	}
	return l.unlock, nil
}

// shadowGlobal lets a command reuse the shorthand of a global flag (logs
// -f, rm -f, run -p, as in Docker Compose): the command gets its own flag
// of the global's long name, bound to the same option, so cobra does not
// inherit the global one with its conflicting shorthand. Before the
// command name, the shorthand keeps its global meaning.
func shadowGlobal(f *pflag.FlagSet, g *globalOptions, name string) {
	switch name {
	case "file":
		f.StringArrayVar(&g.Files, "file", nil, "compose configuration files (repeatable, merged in order)")
	case "project-name":
		f.StringVar(&g.ProjectName, "project-name", "", "project name")
	}
}

// rootRun runs for `mycompose` without a known command. With
// TraverseChildren cobra no longer refuses unknown commands itself, so this
// does, as it did: help without arguments, an error naming the command
// otherwise.
func rootRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return errors.New(msg)
}

// colorOutput reports whether log prefixes are coloured: on a terminal,
// unless --no-color or NO_COLOR asks otherwise.
func colorOutput(deps *Deps, noColor bool) bool {
	return !noColor && envValue(deps.Environ, "NO_COLOR") == "" && isTerminal(deps.Stdout)
}

// replica opens the target of one service and picks its replica by --index
// (exec, port). The caller closes t.eng.
func (g *globalOptions) replica(ctx context.Context, deps *Deps, service string, index int) (*projectTarget, convergence.Container, error) {
	t, err := g.openTarget(ctx, deps, []string{service})
	if err != nil {
		return nil, convergence.Container{}, err
	}
	cs, err := t.containers(ctx)
	if err == nil {
		var c convergence.Container
		if c, err = serviceContainer(cs, service, index); err == nil {
			return t, c, nil
		}
	}
	t.eng.Close()
	return nil, convergence.Container{}, err
}
