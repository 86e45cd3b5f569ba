package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// check verifies the engine state after the timed step against the
// scenario: the right containers running under the tool's names, nothing
// recreated but the changed service, and the scenario's own properties.
func (r *runner) check(ctx context.Context, before []convergence.Container) error {
	after, err := r.eng.ListContainers(ctx, r.project)
	if err != nil {
		return err
	}
	if r.sc.op == opDown {
		return r.checkGone(ctx, after)
	}
	type key struct {
		svc string
		n   int
	}
	got := map[key]convergence.Container{}
	for _, c := range after {
		n, err := strconv.Atoi(c.Labels[project.LabelNumber])
		if err != nil {
			return fmt.Errorf("container %s: bad %s label %q", c.Name, project.LabelNumber, c.Labels[project.LabelNumber])
		}
		k := key{c.Labels[project.LabelService], n}
		if _, dup := got[k]; dup {
			return fmt.Errorf("two containers are replica %d of %s", n, k.svc)
		}
		got[k] = c
	}
	want := 0
	for _, s := range r.m {
		want += s.replicas
		for n := 1; n <= s.replicas; n++ {
			c, ok := got[key{s.name, n}]
			name := strings.Join([]string{r.project, s.name, strconv.Itoa(n)}, r.tool.sep)
			switch {
			case !ok:
				return fmt.Errorf("replica %d of %s is missing", n, s.name)
			case c.State != "running":
				return fmt.Errorf("container %s is %s, want running", c.Name, c.State)
			case c.Name != name:
				return fmt.Errorf("container %s is named %s, want %s", c.ID[:12], c.Name, name)
			}
		}
	}
	if len(after) != want {
		return fmt.Errorf("%d containers, want %d", len(after), want)
	}
	for _, b := range before {
		n, _ := strconv.Atoi(b.Labels[project.LabelNumber])
		svc := b.Labels[project.LabelService]
		c := got[key{svc, n}]
		switch {
		case svc == r.sc.changed && c.ID == b.ID:
			return fmt.Errorf("container %s was not recreated after its environment changed", b.Name)
		case svc != r.sc.changed && c.ID != b.ID:
			return fmt.Errorf("container %s was recreated although nothing changed", b.Name)
		}
	}
	if r.sc.changed != "" {
		if err := r.checkEnv(ctx, got[key{r.sc.changed, 1}]); err != nil {
			return err
		}
	}
	if r.sc.ports {
		if err := checkPorts(after); err != nil {
			return err
		}
	}
	if r.sc.order {
		return r.checkOrder(ctx, after)
	}
	return nil
}

// checkGone verifies that down left neither containers nor the network.
func (r *runner) checkGone(ctx context.Context, after []convergence.Container) error {
	if len(after) > 0 {
		return fmt.Errorf("%d containers left after down", len(after))
	}
	nets, err := r.eng.ListNetworks(ctx, r.project)
	if err != nil {
		return err
	}
	if len(nets) > 0 {
		return fmt.Errorf("network %s left after down", nets[0].Name)
	}
	n, err := r.eng.InspectNetwork(ctx, r.network())
	switch {
	case convergence.IsNotFound(err):
		return nil
	case err == nil && len(n.Containers) == 0:
		return fmt.Errorf("network %s left after down, with no container attached "+
			"(if the engine refuses to remove it for active endpoints, it leaked them: moby/moby#42119)", n.Name)
	}
	return fmt.Errorf("network %s left after down (%v)", r.network(), err)
}

// checkEnv verifies, through the docker CLI, that the recreated container
// carries the changed environment.
func (r *runner) checkEnv(ctx context.Context, c convergence.Container) error {
	out, err := exec.CommandContext(ctx, "docker", "inspect", "--format", "{{json .Config.Env}}", c.ID).Output()
	if err != nil {
		return fmt.Errorf("docker inspect: %v", err)
	}
	if !strings.Contains(string(out), `"BENCH_REV=2"`) {
		return fmt.Errorf("recreated container %s has environment %s, want BENCH_REV=2", c.Name, strings.TrimSpace(string(out)))
	}
	return nil
}

// checkPorts verifies that every container publishes 80/tcp on its own
// engine-assigned host port.
func checkPorts(cs []convergence.Container) error {
	owner := map[uint16]string{}
	for _, c := range cs {
		found := false
		for _, p := range c.Ports {
			if p.PrivatePort != 80 || p.PublicPort == 0 {
				continue
			}
			found = true
			if o, ok := owner[p.PublicPort]; ok && o != c.ID {
				return fmt.Errorf("host port %d is published by two containers", p.PublicPort)
			}
			owner[p.PublicPort] = c.ID
		}
		if !found {
			return fmt.Errorf("container %s publishes no host port for 80/tcp", c.Name)
		}
	}
	return nil
}

// checkOrder verifies that each container started no earlier than the
// containers of the service it depends on, reading StartedAt through the
// docker CLI.
func (r *runner) checkOrder(ctx context.Context, cs []convergence.Container) error {
	args := []string{"inspect", "--format", `{{index .Config.Labels "` + project.LabelService + `"}} {{.State.StartedAt}}`}
	for _, c := range cs {
		args = append(args, c.ID)
	}
	out, err := exec.CommandContext(ctx, "docker", args...).Output()
	if err != nil {
		return fmt.Errorf("docker inspect: %v", err)
	}
	started := map[string]time.Time{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		svc, ts, _ := strings.Cut(line, " ")
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return fmt.Errorf("docker inspect: started at %q: %v", ts, err)
		}
		started[svc] = t
	}
	for _, s := range r.m {
		if s.dependsOn != "" && started[s.name].Before(started[s.dependsOn]) {
			return fmt.Errorf("%s started at %s, before %s it depends on (%s)", s.name,
				started[s.name].Format("15:04:05.000"), s.dependsOn, started[s.dependsOn].Format("15:04:05.000"))
		}
	}
	return nil
}

// cleanup removes everything carrying the project label, whatever happened.
func (r *runner) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if cs, err := r.eng.ListContainers(ctx, r.project); err == nil {
		var g group
		sem := make(chan struct{}, 8)
		for _, c := range cs {
			g.do(func() error {
				sem <- struct{}{}
				defer func() { <-sem }()
				return r.eng.RemoveContainer(ctx, c.ID, true)
			})
		}
		g.wait()
	}
	if nets, err := r.eng.ListNetworks(ctx, r.project); err == nil {
		for _, n := range nets {
			if err := removeNetwork(ctx, r.eng, n.ID); err != nil && strings.Contains(err.Error(), "active endpoints") {
				r.leaked = true
			}
		}
	}
}

// subnetPool holds the benchmark's networks: a /24 each, away from the
// engine's default pools, so that networks the engine fails to release
// (moby/moby#42119) do not eat the address pools other users of the engine
// draw from.
const subnetPool = "10.213.%d.0/%d"

// pickSubnet returns a random free subnet of the pool for a project of n
// containers: a /24, or a /22 past 200 containers.
func pickSubnet(ctx context.Context, n int) (string, error) {
	out, err := subnetsInUse(ctx)
	if err != nil {
		return "", err
	}
	var used []*net.IPNet
	for _, f := range strings.Fields(out) {
		if _, n, err := net.ParseCIDR(f); err == nil {
			used = append(used, n)
		}
	}
	prefix, step := 24, 1
	if n > 200 {
		prefix, step = 22, 4
	}
	for _, i := range mrand.Perm(256 / step) {
		cand := fmt.Sprintf(subnetPool, i*step, prefix)
		_, c, _ := net.ParseCIDR(cand)
		if !slices.ContainsFunc(used, func(u *net.IPNet) bool { return u.Contains(c.IP) || c.Contains(u.IP) }) {
			return cand, nil
		}
	}
	return "", fmt.Errorf("no free /%d left in 10.213.0.0/16 for the benchmark's networks", prefix)
}

// subnetsInUse lists the subnets of the engine's networks, retrying when a
// network listed is removed (by another user of the engine) before it is
// inspected.
func subnetsInUse(ctx context.Context) (string, error) {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var ids, out []byte
		if ids, err = exec.CommandContext(ctx, "docker", "network", "ls", "-q").Output(); err != nil {
			return "", fmt.Errorf("docker network ls: %v", err)
		}
		args := append([]string{"network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}"}, strings.Fields(string(ids))...)
		if out, err = exec.CommandContext(ctx, "docker", args...).Output(); err == nil {
			return string(out), nil
		}
	}
	return "", fmt.Errorf("docker network inspect: %v", err)
}
