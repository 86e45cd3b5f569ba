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

	msw "github.com/mycompose/mycompose/convergence/swarm"
)

// Swarm mode (--swarm): the same project and commands, deployed as a stack
// on the Swarm manager that -H/DOCKER_HOST names. See docs/swarm.md.

// swarmWaitTimeout bounds `up`'s wait for the replicas when --wait-timeout
// is not given.
const swarmWaitTimeout = 5 * time.Minute

// swarmConnect opens the manager and checks that it is one.
func (g *globalOptions) swarmConnect(ctx context.Context, deps *Deps) (msw.Engine, func(), error) {
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
	return sw, func() { eng.Close() }, nil
}

func runSwarmUp(ctx context.Context, deps *Deps, g *globalOptions, o *upOptions, args []string) error {
	if len(args) > 0 {
		return usageError{errors.New("--swarm: up deploys the whole stack; SERVICE arguments are not supported")}
	}
	if !o.Detach {
		return usageError{errors.New("--swarm: use up -d (a stack runs on the cluster, not attached to this terminal)")}
	}
	p, _, err := g.loadScaled(ctx, deps, o.Scale)
	if err != nil {
		return err
	}
	d, err := msw.BuildDesired(p)
	if err != nil {
		return err
	}
	timeout := swarmWaitTimeout
	if o.WaitTimeout > 0 {
		timeout = time.Duration(o.WaitTimeout) * time.Second
	}
	return swarmConverge(ctx, deps, g, d, msw.PlanOptions{}, timeout)
}

func swarmConverge(ctx context.Context, deps *Deps, g *globalOptions, d *msw.Desired, opts msw.PlanOptions, timeout time.Duration) error {
	e, closeFn, err := g.swarmConnect(ctx, deps)
	if err != nil {
		return err
	}
	defer closeFn()
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
		return msw.WaitGone(ctx, e, d.Stack, time.Minute)
	}
	return msw.Wait(ctx, e, d, timeout, deps.Stderr)
}

func runSwarmScale(ctx context.Context, deps *Deps, g *globalOptions, args []string) error {
	p, names, err := g.loadScaled(ctx, deps, args)
	if err != nil {
		return err
	}
	d, err := msw.BuildDesired(p)
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
	return swarmConverge(ctx, deps, g, &wait, msw.PlanOptions{ScaleOnly: names}, swarmWaitTimeout)
}

func runSwarmDown(ctx context.Context, deps *Deps, g *globalOptions) error {
	name, _, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	return swarmConverge(ctx, deps, g, &msw.Desired{Stack: name}, msw.PlanOptions{Down: true}, 0)
}

func runSwarmPs(ctx context.Context, deps *Deps, g *globalOptions, o *psOptions) error {
	name, _, err := g.projectName(ctx, deps)
	if err != nil {
		return err
	}
	e, closeFn, err := g.swarmConnect(ctx, deps)
	if err != nil {
		return err
	}
	defer closeFn()
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
	e, closeFn, err := g.swarmConnect(ctx, deps)
	if err != nil {
		return err
	}
	defer closeFn()
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
