package main

// The floor: the engine work of each scenario issued straight through our
// thin engine adapter (one API call per method, no compose logic), with
// every independent call in flight at once. Only true data dependencies
// are kept: network before containers, create before start, a dependency's
// start before its dependent's, stop before remove. Steps that find an
// existing project begin with the one list call any tool needs. Two engine
// races are retried, as any tool must: the port allocator on start, and a
// network whose removed containers' endpoints are not yet released.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/dockerengine"
	"github.com/mycompose/mycompose/project"
)

var stopTimeout = time.Second

// floorUp brings the project to r.m. Before the project exists (cold
// scenarios and every setup) it creates everything without looking;
// afterwards it lists once, replaces the changed service's containers and
// adds the missing replicas.
func (r *runner) floorUp(ctx context.Context) error {
	if !r.exists {
		return r.floorCold(ctx)
	}
	cs, err := r.feng.ListContainers(ctx, r.project)
	if err != nil {
		return err
	}
	have := map[string]int{}
	var g group
	for _, c := range cs {
		svc := c.Labels[project.LabelService]
		have[svc]++
		if svc == r.sc.changed && r.timed {
			s := r.m.service(svc)
			n, _ := strconv.Atoi(c.Labels[project.LabelNumber])
			g.do(func() error { return r.replace(ctx, c.ID, *s, n) })
		}
	}
	for _, s := range r.m {
		for n := have[s.name] + 1; n <= s.replicas; n++ {
			g.do(func() error { return r.createStart(ctx, s, n, nil) })
		}
	}
	return g.wait()
}

// floorCold creates the network, then every container at once; a
// container's start waits for the starts of the service it depends on.
func (r *runner) floorCold(ctx context.Context) error {
	_, err := r.feng.CreateNetwork(ctx, convergence.NetworkSpec{
		Name:   r.network(),
		Driver: "bridge",
		Labels: map[string]string{project.LabelProject: r.project, project.LabelNetwork: "default"},
		IPAM:   project.IPAM{Configs: []project.IPAMConfig{{Subnet: r.subnet}}},
	})
	if err != nil {
		return err
	}
	started := map[string]chan struct{}{}
	for _, s := range r.m {
		started[s.name] = make(chan struct{})
	}
	var g group
	var wg sync.WaitGroup // per service, closes started[svc] after all its starts
	for _, s := range r.m {
		var svc sync.WaitGroup
		svc.Add(s.replicas)
		wg.Add(1)
		go func() { defer wg.Done(); svc.Wait(); close(started[s.name]) }()
		for n := 1; n <= s.replicas; n++ {
			var dep <-chan struct{}
			if s.dependsOn != "" {
				dep = started[s.dependsOn]
			}
			g.do(func() error { defer svc.Done(); return r.createStart(ctx, s, n, dep) })
		}
	}
	err = g.wait()
	wg.Wait()
	return err
}

// createStart creates replica n of s, waits for dep (when set) and starts it.
func (r *runner) createStart(ctx context.Context, s svcDef, n int, dep <-chan struct{}) error {
	id, err := r.feng.CreateContainer(ctx, r.spec(s, n))
	if err != nil {
		return err
	}
	if dep != nil {
		<-dep
	}
	return r.start(ctx, id, s.port)
}

// start starts a container; with published ports it retries the engine's
// port allocator races, as any tool must on this engine.
func (r *runner) start(ctx context.Context, id string, ports bool) error {
	for attempt := 0; ; attempt++ {
		err := r.feng.StartContainer(ctx, id)
		if err == nil || !ports || !errors.Is(err, convergence.ErrPortAllocated) || attempt >= 8 {
			return err
		}
		time.Sleep(time.Duration(20*(attempt+1)) * time.Millisecond)
	}
}

// replace recreates one container: stop, remove, create, start.
func (r *runner) replace(ctx context.Context, id string, s svcDef, n int) error {
	if err := r.feng.StopContainer(ctx, id, &stopTimeout); err != nil {
		return err
	}
	if err := r.feng.RemoveContainer(ctx, id, false); err != nil {
		return err
	}
	return r.createStart(ctx, s, n, nil)
}

// floorDown lists, stops and removes every container at once, then removes
// the network.
func (r *runner) floorDown(ctx context.Context) error {
	cs, err := r.feng.ListContainers(ctx, r.project)
	if err != nil {
		return err
	}
	var g group
	for _, c := range cs {
		g.do(func() error {
			if err := r.feng.StopContainer(ctx, c.ID, &stopTimeout); err != nil {
				return err
			}
			return r.feng.RemoveContainer(ctx, c.ID, false)
		})
	}
	if err := g.wait(); err != nil {
		return err
	}
	return removeNetwork(ctx, r.feng, r.network())
}

// removeNetwork removes a network, retrying while the engine still counts
// endpoints of removed containers (it releases them late under load, and
// sometimes never: moby/moby#42119).
func removeNetwork(ctx context.Context, eng *dockerengine.Engine, name string) error {
	for attempt := 0; ; attempt++ {
		err := eng.RemoveNetwork(ctx, name)
		if err == nil || !strings.Contains(err.Error(), "active endpoints") || attempt >= 15 {
			return err
		}
		time.Sleep(time.Duration(20*(attempt+1)) * time.Millisecond)
	}
}

func (r *runner) network() string { return project.ScopedName(r.project, "default") }

// spec is the container the compose tools create for replica n of s, minus
// the labels the floor has no use for.
func (r *runner) spec(s svcDef, n int) convergence.CreateSpec {
	one := 1
	cs := project.ContainerSpec{
		Image: testImage,
		Cmd:   command,
		Env:   []string{"BENCH_REV=" + s.rev},
		Labels: map[string]string{
			project.LabelProject: r.project,
			project.LabelService: s.name,
			project.LabelNumber:  strconv.Itoa(n),
			project.LabelOneOff:  "False",
		},
		StopTimeout: &one,
	}
	if s.port {
		cs.ExposedPorts = []string{"80/tcp"}
		cs.Ports = []project.PortBinding{{ContainerPort: 80, Protocol: "tcp"}}
	}
	return convergence.CreateSpec{
		Name:            project.ContainerName(r.project, s.name, n),
		Spec:            cs,
		PrimaryNetwork:  r.network(),
		PrimaryEndpoint: convergence.Endpoint{Aliases: []string{s.name}},
	}
}

// group runs functions concurrently and joins their errors.
type group struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func (g *group) do(fn func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(); err != nil {
			g.mu.Lock()
			g.errs = append(g.errs, err)
			g.mu.Unlock()
		}
	}()
}

func (g *group) wait() error {
	g.wg.Wait()
	if len(g.errs) > 0 {
		return fmt.Errorf("floor: %w", errors.Join(g.errs...))
	}
	return nil
}
