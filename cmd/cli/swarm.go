package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/mycompose/mycompose/convergence"
	msw "github.com/mycompose/mycompose/convergence/swarm"
	"github.com/mycompose/mycompose/project"
)

// Swarm mode (--swarm): the same project and commands, deployed as a stack
// on the Swarm manager that -H/DOCKER_HOST names. See docs/swarm.md.

// swarmWaitTimeout bounds `up`'s wait for the replicas when --wait-timeout
// is not given.
const swarmWaitTimeout = 5 * time.Minute

// swarmConnect opens the manager and checks that it is one. eng is the
// same engine, for what is not Swarm's (building and pushing images).
func (g *globalOptions) swarmConnect(ctx context.Context, deps *Deps) (Engine, msw.Engine, error) {
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return nil, nil, err
	}
	sw := eng.Swarm()
	mgr, err := sw.IsManager(ctx)
	if err == nil && !mgr {
		err = fmt.Errorf("--swarm: the engine at %s is not a Swarm manager (run mycompose -H against a manager node)", eng.Endpoint())
	}
	if err != nil {
		eng.Close()
		return nil, nil, err
	}
	return eng, sw, nil
}

func runSwarmUp(ctx context.Context, deps *Deps, g *globalOptions, o *upOptions, args []string) error {
	if len(args) > 0 {
		return usageError{errors.New("--swarm: up deploys the whole stack; SERVICE arguments are not supported")}
	}
	if !o.Detach {
		return usageError{errors.New("--swarm: use up -d (a stack runs on the cluster, not attached to this terminal)")}
	}
	if o.ResolveImage != "always" && o.ResolveImage != "never" {
		return usageError{fmt.Errorf("--resolve-image %q: use always or never", o.ResolveImage)}
	}
	p, _, err := g.loadScaled(ctx, deps, o.Scale)
	if err != nil {
		return err
	}
	eng, sw, err := g.swarmConnect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	if o.Build {
		// Built on the manager's engine and pushed from there: the nodes
		// pull from the registry image: names, never from this machine.
		images, err := buildImages(ctx, deps, g, eng, p, convergence.BuildOptions{Force: true}, false)
		if err != nil {
			return err
		}
		var built []string
		for _, b := range images {
			built = append(built, b.Ref)
		}
		if len(built) > 0 && !g.DryRun {
			if err := pushImages(ctx, deps, g, eng, built, &pushOptions{}); err != nil {
				return err
			}
		}
	}
	var digests map[string]string
	if o.ResolveImage == "always" {
		// A dry run has built and pushed nothing: a build: image not yet
		// in its registry is then only warned about.
		if digests, err = resolveImages(ctx, deps, sw, p, g.DryRun && o.Build); err != nil {
			return err
		}
	}
	d, err := msw.BuildDesired(p, digests)
	if err != nil {
		return err
	}
	for i := range d.Services {
		d.Services[i].RegistryAuth = o.WithRegistryAuth
	}
	timeout := swarmWaitTimeout
	if o.WaitTimeout > 0 {
		timeout = time.Duration(o.WaitTimeout) * time.Second
	}
	return swarmConverge(ctx, deps, g, sw, d, msw.PlanOptions{}, timeout)
}

// resolveImages asks the registries for the digest of each service's
// image, as docker stack deploy --resolve-image always does. An image the
// registry does not know is deployed by tag with docker's warning, except
// a built one: that one must have been pushed.
func resolveImages(ctx context.Context, deps *Deps, sw msw.Engine, p *project.Project, dryBuild bool) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range p.Services {
		ref := s.Container.Image
		if _, done := out[ref]; done {
			continue
		}
		dg, err := sw.ResolveImage(ctx, ref)
		switch {
		case err == nil:
			out[ref] = dg
		case !errors.Is(err, msw.ErrNotResolved):
			return nil, err
		case s.Build != nil && !dryBuild:
			return nil, fmt.Errorf("service %q: %w: build and push it first (mycompose --swarm up -d --build, or build --push)", s.Name, err)
		default:
			out[ref] = ""
			fmt.Fprintf(deps.Stderr, "WARNING: image %s could not be accessed on a registry to record its digest. Each node will access %s independently, possibly leading to different nodes running different versions of the image. (%v)\n", ref, ref, err)
		}
	}
	return out, nil
}

func swarmConverge(ctx context.Context, deps *Deps, g *globalOptions, e msw.Engine, d *msw.Desired, opts msw.PlanOptions, timeout time.Duration) error {
	obs, err := msw.Observe(ctx, e, d.Stack)
	if err != nil {
		return err
	}
	acts := msw.Plan(d, obs, opts)
	if g.DryRun {
		fmt.Fprint(deps.Stdout, msw.Format(acts))
		return nil
	}
	fmt.Fprintf(deps.Stderr, "Stack %s: %d change(s)\n", d.Stack, len(acts))
	if err := msw.Apply(ctx, e, acts, deps.Stderr); err != nil {
		return err
	}
	if opts.Down {
		var removed []string
		for _, a := range acts {
			if a.Kind == msw.RemoveService {
				removed = append(removed, a.ID)
			}
		}
		return msw.WaitGone(ctx, e, d.Stack, removed, time.Minute)
	}
	if err := msw.Wait(ctx, e, d, obs.Services, timeout, deps.Stderr); err != nil {
		return err
	}
	for _, a := range acts {
		if a.Kind == msw.UpdateService {
			fmt.Fprintf(deps.Stderr, " updated %s: rolling update completed\n", a.Name)
		}
	}
	return nil
}

// withSwarm connects to the manager and runs f.
func withSwarm(ctx context.Context, deps *Deps, g *globalOptions, f func(msw.Engine) error) error {
	eng, sw, err := g.swarmConnect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	return f(sw)
}

func runSwarmScale(ctx context.Context, deps *Deps, g *globalOptions, args []string) error {
	p, names, err := g.loadScaled(ctx, deps, args)
	if err != nil {
		return err
	}
	d, err := msw.BuildDesired(p, nil)
	if err != nil {
		return err
	}
	// Only the scaled services are waited for.
	var keep []msw.ServiceSpec
	for _, s := range d.Services {
		if contains(names, strings.TrimPrefix(s.Name, d.Stack+"_")) {
			keep = append(keep, s)
		}
	}
	wait := *d
	wait.Services = keep
	return withSwarm(ctx, deps, g, func(sw msw.Engine) error {
		return swarmConverge(ctx, deps, g, sw, &wait, msw.PlanOptions{ScaleOnly: names}, swarmWaitTimeout)
	})
}

func runSwarmDown(ctx context.Context, deps *Deps, g *globalOptions) error {
	name, _, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	return withSwarm(ctx, deps, g, func(sw msw.Engine) error {
		return swarmConverge(ctx, deps, g, sw, &msw.Desired{Stack: name}, msw.PlanOptions{Down: true}, 0)
	})
}

func runSwarmPs(ctx context.Context, deps *Deps, g *globalOptions, o *psOptions) error {
	name, _, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	eng, e, err := g.swarmConnect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	services, err := e.ListServices(ctx, name)
	if err != nil {
		return err
	}
	tasks, err := e.ListTasks(ctx, name)
	if err != nil {
		return err
	}
	nodes, err := e.ListNodes(ctx)
	if err != nil {
		return err
	}
	if o.Services {
		for _, s := range services {
			fmt.Fprintln(deps.Stdout, strings.TrimPrefix(s.Name, name+"_"))
		}
		return nil
	}
	printTasks(deps.Stdout, services, tasks, nodes, o.All, o.Quiet)
	return nil
}

// printTasks prints one line per task like `docker stack ps`: by default
// the tasks meant to run, with -a their history too.
func printTasks(w io.Writer, services []msw.Service, tasks []msw.Task, nodes []msw.Node, all, quiet bool) {
	svcName, global := map[string]string{}, map[string]bool{}
	for _, s := range services {
		svcName[s.ID], global[s.ID] = s.Name, s.Global
	}
	nodeName, nodeState := map[string]string{}, map[string]string{}
	for _, n := range nodes {
		nodeName[n.ID], nodeState[n.ID] = n.Hostname, n.State
	}
	var shown []msw.Task
	for _, t := range tasks {
		if all || t.DesiredState == "running" && nodeState[t.NodeID] != "down" {
			shown = append(shown, t)
		}
	}
	taskName := func(t msw.Task) string {
		if global[t.ServiceID] {
			return svcName[t.ServiceID] + "." + t.NodeID
		}
		return fmt.Sprintf("%s.%d", svcName[t.ServiceID], t.Slot)
	}
	sort.SliceStable(shown, func(i, j int) bool {
		a, b := shown[i], shown[j]
		if svcName[a.ServiceID] != svcName[b.ServiceID] {
			return svcName[a.ServiceID] < svcName[b.ServiceID]
		}
		if a.Slot != b.Slot {
			return a.Slot < b.Slot
		}
		return a.Timestamp.After(b.Timestamp)
	})
	if quiet {
		for _, t := range shown {
			fmt.Fprintln(w, t.ID)
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tIMAGE\tNODE\tDESIRED STATE\tCURRENT STATE\tERROR")
	for _, t := range shown {
		node := nodeName[t.NodeID]
		if st := nodeState[t.NodeID]; st != "" && st != "ready" {
			node += " (" + st + ")"
		}
		id := t.ID
		if len(id) > 12 {
			id = id[:12]
		}
		state := fmt.Sprintf("%s %s ago", strings.ToUpper(t.State[:1])+t.State[1:], time.Since(t.Timestamp).Round(time.Second))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, taskName(t), t.Image, node,
			strings.ToUpper(t.DesiredState[:1])+t.DesiredState[1:], state, t.Err)
	}
	tw.Flush()
}

func runSwarmLogs(ctx context.Context, deps *Deps, g *globalOptions, o *logsOptions, args []string) error {
	name, _, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	eng, e, err := g.swarmConnect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	services, err := e.ListServices(ctx, name)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, a := range args {
		want[name+"_"+a] = true
	}
	var mu sync.Mutex
	out := &lockedWriter{w: deps.Stdout, mu: &mu}
	var wg sync.WaitGroup
	errs := make([]error, len(services))
	for i, s := range services {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		prefix := strings.TrimPrefix(s.Name, name+"_") + "  | "
		if o.NoPrefix {
			prefix = ""
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.ServiceLogs(ctx, s.ID, msw.LogOptions{Follow: o.Follow, Tail: o.Tail, Timestamps: o.Timestamps, Since: o.Since, Prefix: prefix}, out)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lockedWriter serialises whole writes (one log line each).
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
