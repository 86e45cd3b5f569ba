// Package swarm_test is the end-to-end suite of mycompose --swarm's
// rollouts on a 3-node lab (scripts/swarm-lab.sh) with its registry: a
// built service pushed and pulled by nodes that never saw it, a bad update
// rolled back automatically, a good one rolled start-first, a rollback by
// hand, a drained node. One lab serves every step (they run in order);
// assertions read the Swarm's own state through the manager's API.
//
// The suite needs the lab's node image (make test builds it): without it,
// it fails; it never skips.
package swarm_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"github.com/mycompose/mycompose/internal/swarmlab"
)

const (
	stack    = "swm"
	service  = stack + "_app"
	replicas = 4
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "swm-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mycompose")
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/mycompose").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lab is a running Swarm lab with its registry (basic auth).
type lab struct {
	*swarmlab.Lab
	t      *testing.T
	config string // DOCKER_CONFIG holding the registry's credentials
	dir    string // the project directory
	api    *client.Client
}

func startLab(t *testing.T) *lab {
	t.Helper()
	pw := make([]byte, 8)
	rand.Read(pw)
	user, password := "swm", hex.EncodeToString(pw)
	l := &lab{t: t, Lab: swarmlab.Start(t, swarmlab.Options{Prefix: "swm", RegistryUser: user, RegistryPassword: password})}
	l.config = t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	if err := os.WriteFile(filepath.Join(l.config, "config.json"),
		[]byte(fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, l.Registry, auth)), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if l.api, err = client.NewClientWithOpts(client.WithHost(l.Host), client.WithAPIVersionNegotiation()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.api.Close() })
	l.dir = filepath.Join(t.TempDir(), "rollout")
	if out, err := exec.Command("cp", "-r", "../../testdata/swarm/rollout", l.dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return l
}

// mc runs mycompose --swarm on the manager with the given variables of
// the compose file and returns its output and error.
func (l *lab) mc(env []string, args ...string) (string, error) {
	cmd := exec.Command(binary, append([]string{"--swarm", "-H", l.Host, "-p", stack}, args...)...)
	cmd.Dir = l.dir
	cmd.Env = append(os.Environ(), append([]string{"DOCKER_CONFIG=" + l.config, "REGISTRY=" + l.Registry}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (l *lab) mustMC(env []string, args ...string) string {
	l.t.Helper()
	out, err := l.mc(env, args...)
	if err != nil {
		l.t.Fatalf("mycompose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (l *lab) service() swarm.Service {
	l.t.Helper()
	s, _, err := l.api.ServiceInspectWithRaw(context.Background(), service, swarm.ServiceInspectOptions{})
	if err != nil {
		l.t.Fatal(err)
	}
	return s
}

// running returns the service's tasks that are meant to run and do: with a
// health check, a task is running only once healthy.
func (l *lab) running(ctx context.Context) ([]swarm.Task, error) {
	tasks, err := l.api.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(
		filters.Arg("service", service), filters.Arg("desired-state", "running"))})
	if err != nil {
		return nil, err
	}
	var out []swarm.Task
	for _, t := range tasks {
		if t.Status.State == swarm.TaskStateRunning {
			out = append(out, t)
		}
	}
	return out, nil
}

// nodeNames maps node IDs to hostnames.
func (l *lab) nodeNames() map[string]string {
	l.t.Helper()
	nodes, err := l.api.NodeList(context.Background(), swarm.NodeListOptions{})
	if err != nil {
		l.t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range nodes {
		out[n.ID] = n.Description.Hostname
	}
	return out
}

// sampler counts the healthy running tasks every 200 ms until stopped
// and keeps the minimum and maximum seen.
type sampler struct {
	stop     chan struct{}
	done     sync.WaitGroup
	min, max int
	samples  int
}

func (l *lab) sample() *sampler {
	s := &sampler{stop: make(chan struct{}), min: 1 << 30}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			tasks, err := l.running(ctx)
			cancel()
			if err == nil {
				s.samples++
				s.min, s.max = min(s.min, len(tasks)), max(s.max, len(tasks))
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *sampler) end() { close(s.stop); s.done.Wait() }

// digestOf is the image digest a spec pins ("" when not pinned).
func digestOf(image string) string {
	_, d, _ := strings.Cut(image, "@")
	return d
}

func TestSwarmRollout(t *testing.T) {
	l := startLab(t)
	var v1, v2 string // pinned image references

	t.Run("build_push_deploy", func(t *testing.T) {
		l.t = t
		// The workers have never seen the image.
		for i := 2; i <= 3; i++ {
			if out, _ := exec.Command("docker", "exec", l.Node(i), "docker", "images", "-q", l.Registry+"/swm/app").Output(); strings.TrimSpace(string(out)) != "" {
				t.Fatalf("%s already has the image", l.Node(i))
			}
		}
		// build --push, then up: the registry asks for credentials, so the
		// workers can pull only with those up passes them
		// (--with-registry-auth).
		out := l.mustMC(nil, "build", "--push")
		out += l.mustMC(nil, "up", "-d", "--with-registry-auth")
		t.Logf("build --push, up:\n%s", out)
		v1 = l.service().Spec.TaskTemplate.ContainerSpec.Image
		if !strings.HasPrefix(v1, l.Registry+"/swm/app:1@sha256:") {
			t.Fatalf("service image %q: want %s/swm/app:1 pinned to a digest", v1, l.Registry)
		}
		// The digest is the one the registry holds (the manager pushed it).
		var inspect []struct{ RepoDigests []string }
		raw, err := exec.Command("docker", "-H", l.Host, "image", "inspect", l.Registry+"/swm/app:1").Output()
		if err != nil || !strings.Contains(string(raw), l.Registry+"/swm/app@"+digestOf(v1)) {
			t.Fatalf("pushed digests %s (%v) do not include %s (%v)", raw, err, digestOf(v1), inspect)
		}
		tasks, err := l.running(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		nodes := map[string]bool{}
		for _, tk := range tasks {
			nodes[tk.NodeID] = true
		}
		if len(tasks) != replicas || len(nodes) != 3 {
			t.Fatalf("%d tasks running on %d nodes, want %d on 3", len(tasks), len(nodes), replicas)
		}
		// Every node pulled those very bytes from the registry.
		for i := 1; i <= 3; i++ {
			if out, err := exec.Command("docker", "exec", l.Node(i), "docker", "image", "inspect", "-f", "{{.Id}}", l.Registry+"/swm/app@"+digestOf(v1)).CombinedOutput(); err != nil {
				t.Errorf("%s has no image %s: %v %s", l.Node(i), digestOf(v1), err, out)
			}
		}
	})
	if t.Failed() {
		return
	}

	t.Run("bad_update_rolls_back", func(t *testing.T) {
		l.t = t
		// stop-first, one task at a time: at most one replica down.
		const parallelism = 1
		s := l.sample()
		out, err := l.mc([]string{"MODE=broken", "ORDER=stop-first"}, "up", "-d")
		s.end()
		t.Logf("up (bad update), %d samples, %d..%d running:\n%s", s.samples, s.min, s.max, out)
		if err == nil {
			t.Fatal("up of a version that never becomes healthy succeeded")
		}
		if !strings.Contains(out, "service "+service) || !strings.Contains(out, "rollback completed") || !strings.Contains(out, "task "+service+".") {
			t.Errorf("the error does not name the service, the rollback and the failed tasks:\n%s", out)
		}
		if s.min < replicas-parallelism {
			t.Errorf("during the bad update only %d healthy tasks ran (want >= %d)", s.min, replicas-parallelism)
		}
		svc := l.service()
		if svc.UpdateStatus == nil || svc.UpdateStatus.State != swarm.UpdateStateRollbackCompleted {
			t.Fatalf("update status %+v, want rollback_completed", svc.UpdateStatus)
		}
		if env := strings.Join(svc.Spec.TaskTemplate.ContainerSpec.Env, " "); !strings.Contains(env, "MODE=ok") || svc.Spec.TaskTemplate.ContainerSpec.Image != v1 {
			t.Fatalf("spec after rollback: env %s image %s, want MODE=ok and %s", env, svc.Spec.TaskTemplate.ContainerSpec.Image, v1)
		}
		l.waitRunning(t, v1, "")
	})

	t.Run("good_update_start_first", func(t *testing.T) {
		l.t = t
		// logs -f follows the service's tasks as they are replaced.
		logs, err := os.Create(filepath.Join(t.TempDir(), "logs"))
		if err != nil {
			t.Fatal(err)
		}
		defer logs.Close()
		follow := exec.Command(binary, "--swarm", "-H", l.Host, "-p", stack, "logs", "-f", "app")
		follow.Dir, follow.Stdout, follow.Stderr = l.dir, logs, logs
		follow.Env = append(os.Environ(), "REGISTRY="+l.Registry)
		if err := follow.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { follow.Process.Kill(); follow.Wait() }()
		s := l.sample()
		out := l.mustMC([]string{"VERSION=2"}, "up", "-d", "--build", "--with-registry-auth")
		s.end()
		t.Logf("up (good update), %d samples, %d..%d running:\n%s", s.samples, s.min, s.max, out)
		svc := l.service()
		v2 = svc.Spec.TaskTemplate.ContainerSpec.Image
		if !strings.HasPrefix(v2, l.Registry+"/swm/app:2@sha256:") || svc.Spec.UpdateConfig == nil || svc.Spec.UpdateConfig.Order != "start-first" {
			t.Fatalf("image %s, update config %+v: want version 2, start-first", v2, svc.Spec.UpdateConfig)
		}
		if svc.UpdateStatus == nil || svc.UpdateStatus.State != swarm.UpdateStateCompleted {
			t.Fatalf("update status %+v, want completed", svc.UpdateStatus)
		}
		if s.min < replicas {
			t.Errorf("a start-first update let the healthy tasks drop to %d (want %d)", s.min, replicas)
		}
		l.waitRunning(t, v2, "")
		followed := func() string { b, _ := os.ReadFile(logs.Name()); return string(b) }
		for deadline := time.Now().Add(20 * time.Second); strings.Count(followed(), "serving version 2") < replicas; time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("logs -f did not follow the new tasks:\n%s", followed())
			}
		}
	})

	t.Run("rollback_by_hand", func(t *testing.T) {
		l.t = t
		out := l.mustMC(nil, "rollback", "app")
		t.Logf("rollback:\n%s", out)
		if img := l.service().Spec.TaskTemplate.ContainerSpec.Image; img != v1 {
			t.Fatalf("after rollback the service runs %s, want %s", img, v1)
		}
		l.waitRunning(t, v1, "")
	})

	t.Run("drain", func(t *testing.T) {
		l.t = t
		// Drain a worker that runs some of the tasks.
		names, where := l.nodeNames(), map[string]int{}
		running, err := l.running(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range running {
			where[names[tk.NodeID]]++
		}
		drained := l.Node(3)
		if where[drained] == 0 {
			drained = l.Node(2)
		}
		if where[drained] == 0 {
			t.Fatalf("no task on a worker to drain: %v", where)
		}
		if out, err := exec.Command("docker", "-H", l.Host, "node", "update", "--availability", "drain", drained).CombinedOutput(); err != nil {
			t.Fatalf("drain: %v %s", err, out)
		}
		n, _, err := l.api.NodeInspectWithRaw(context.Background(), drained)
		if err != nil || n.Spec.Availability != swarm.NodeAvailabilityDrain {
			t.Fatalf("node %s: availability %q (%v), want drain", drained, n.Spec.Availability, err)
		}
		l.waitRunning(t, v1, drained)
		ps := l.mustMC(nil, "ps")
		if strings.Count(ps, service+".") != replicas || strings.Contains(ps, drained) {
			t.Errorf("ps after draining %s:\n%s", drained, ps)
		}
		t.Logf("ps after draining %s:\n%s", drained, ps)
		if out, err := exec.Command("docker", "-H", l.Host, "node", "update", "--availability", "active", drained).CombinedOutput(); err != nil {
			t.Fatalf("activate: %v %s", err, out)
		}
	})

	t.Run("pending", func(t *testing.T) {
		l.t = t
		// No node has that much memory: the new tasks stay pending, and
		// ps says why; the old ones keep serving (start-first).
		out, err := l.mc([]string{"RESERVE_MEMORY=1000g"}, "up", "-d", "--wait-timeout", "8")
		if err == nil {
			t.Fatalf("up of an unschedulable service succeeded:\n%s", out)
		}
		t.Logf("up (unschedulable):\n%s", out)
		tasks, err := l.api.TaskList(context.Background(), swarm.TaskListOptions{Filters: filters.NewArgs(
			filters.Arg("service", service), filters.Arg("desired-state", "running"))})
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, tk := range tasks {
			if tk.Status.State == swarm.TaskStatePending && strings.Contains(tk.Status.Err, "insufficient resources") {
				pending++
			}
		}
		if pending == 0 {
			t.Fatalf("no task pending for lack of resources: %+v", tasks)
		}
		ps := l.mustMC(nil, "ps")
		t.Logf("ps:\n%s", ps)
		if !strings.Contains(ps, "Pending") || !strings.Contains(ps, "insufficient resources") {
			t.Errorf("ps does not show the pending task and why:\n%s", ps)
		}
		if running, _ := l.running(context.Background()); len(running) != replicas {
			t.Errorf("%d tasks running while the update is stuck, want %d", len(running), replicas)
		}
		// Back to a schedulable spec: the stuck update is replaced.
		l.mustMC(nil, "up", "-d")
		l.waitRunning(t, v1, "")
	})

	t.Run("workers_need_the_credentials", func(t *testing.T) {
		l.t = t
		// The same image pushed as version 3 to the registry (which asks
		// for basic auth), deployed as another stack without
		// --with-registry-auth: the workers cannot pull it.
		const other = "swmna"
		env := []string{"VERSION=3"}
		l.mustMC(env, "-p", other, "build", "--push")
		out, _ := l.mc(env, "-p", other, "up", "-d", "--wait-timeout", "15")
		t.Logf("up without --with-registry-auth:\n%s", out)
		defer l.mc(env, "-p", other, "down")
		tasks, err := l.api.TaskList(context.Background(), swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", other+"_app"))})
		if err != nil {
			t.Fatal(err)
		}
		names := l.nodeNames()
		refused, ran := 0, 0
		for _, tk := range tasks {
			if names[tk.NodeID] == l.Node(1) {
				continue // the manager built the image: it has it
			}
			if tk.Status.State == swarm.TaskStateRunning {
				ran++
			}
			if strings.Contains(tk.Status.Err, "No such image") {
				refused++
			}
		}
		if ran > 0 || refused == 0 {
			t.Fatalf("without credentials: %d tasks ran on workers, %d refused for want of the image", ran, refused)
		}
	})

	t.Run("down", func(t *testing.T) {
		l.t = t
		id := l.service().ID
		l.mustMC(nil, "down")
		services, err := l.api.ServiceList(context.Background(), swarm.ServiceListOptions{})
		if err != nil || len(services) != 0 {
			t.Fatalf("services after down: %d (%v)", len(services), err)
		}
		// down returned once the manager had no task of the service left
		// (each node removes the stopped containers of its tasks next).
		tasks, err := l.api.TaskList(context.Background(), swarm.TaskListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tasks {
			if tk.ServiceID == id {
				t.Errorf("task %s (%s) of the removed service still listed", tk.ID, tk.Status.State)
			}
		}
	})
}

// waitRunning waits (up to a minute) until the service runs all its
// replicas of image, none of them on node avoid.
func (l *lab) waitRunning(t *testing.T, image, avoid string) {
	t.Helper()
	names := l.nodeNames()
	deadline := time.Now().Add(time.Minute)
	for {
		tasks, err := l.running(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ok := len(tasks) == replicas
		where := map[string]int{}
		for _, tk := range tasks {
			where[names[tk.NodeID]]++
			if tk.Spec.ContainerSpec.Image != image || names[tk.NodeID] == avoid {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d tasks running on %v, want %d of %s (none on %q)", len(tasks), where, replicas, image, avoid)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
