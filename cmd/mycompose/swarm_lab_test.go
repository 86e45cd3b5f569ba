package main

// End-to-end tests of --swarm against a 3-node Swarm lab of nested dockerd
// containers (scripts/swarm-lab.sh). The lab gets a unique name and is torn
// down even when the test fails. The node image is built by `make test`
// (scripts/setup.sh swarm-node); without it the test fails
// (internal/swarmlab).

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mycompose/mycompose/internal/swarmlab"
)

const swarmLab = "../../scripts/swarm-lab.sh"

type lab struct {
	t    *testing.T
	name string
	host string
}

func startLab(t *testing.T) *lab {
	t.Helper()
	sl := swarmlab.Start(t, swarmlab.Options{Prefix: "mcsw"})
	return &lab{t: t, name: sl.Name, host: sl.Host}
}

func (l *lab) node(i int) string { return l.name + "-node" + string(rune('0'+i)) }

// docker runs the docker CLI against the manager.
func (l *lab) docker(args ...string) string {
	l.t.Helper()
	out, err := exec.Command("docker", append([]string{"-H", l.host}, args...)...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// mc runs mycompose --swarm against the manager in dir.
func (l *lab) mc(dir string, args ...string) string {
	l.t.Helper()
	cmd := exec.Command(binary, append([]string{"--swarm", "-H", l.host, "-p", "demo"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		l.t.Fatalf("mycompose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runningWeb counts demo_web tasks desired and currently running, per node.
func (l *lab) runningWeb() (int, map[string]int) {
	out := l.docker("service", "ps", "demo_web", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}")
	nodes := map[string]int{}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == "Running" {
			n++
			nodes[f[0]]++
		}
	}
	return n, nodes
}

func TestSwarmLabStack(t *testing.T) {
	l := startLab(t)
	dir := filepath.Join(t.TempDir(), "stack")
	if err := copyTree(filepath.Join("..", "..", "testdata", "swarm", "stack"), dir); err != nil {
		t.Fatal(err)
	}

	// up -d: 6 replicas spread over the 3 nodes, an overlay network, a secret.
	l.mc(dir, "up", "-d", "--resolve-image", "never")
	n, nodes := l.runningWeb()
	if n != 6 || len(nodes) != 3 {
		t.Fatalf("after up: %d running on %v, want 6 on 3 nodes", n, nodes)
	}
	if out := l.docker("network", "inspect", "-f", "{{.Driver}} {{.Attachable}}", "demo_front"); strings.TrimSpace(out) != "overlay true" {
		t.Fatalf("network: %s", out)
	}
	if out := l.docker("secret", "ls", "--format", "{{.Name}}"); !strings.Contains(out, "demo_token_") {
		t.Fatalf("secrets: %s", out)
	}
	if out := l.mc(dir, "logs", "web"); !strings.Contains(out, "s3cret") || !strings.Contains(out, "started hello") {
		t.Fatalf("logs do not show the secret being read:\n%s", out)
	}

	// scale
	l.mc(dir, "scale", "web=9")
	if n, _ := l.runningWeb(); n != 9 {
		t.Fatalf("after scale: %d running, want 9", n)
	}

	// A worker dies: its replicas move to the other nodes within 30 s.
	killed := l.node(3)
	if out, err := exec.Command("docker", "kill", killed).CombinedOutput(); err != nil {
		t.Fatalf("kill: %v %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, nodes := l.runningWeb()
		if n == 9 && nodes[killed] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after killing %s: %d running on %v", killed, n, nodes)
		}
		time.Sleep(500 * time.Millisecond)
	}
	ps := l.mc(dir, "ps")
	if strings.Count(ps, "demo_web.") != 9 || strings.Contains(ps, killed) {
		t.Fatalf("ps after the node died:\n%s", ps)
	}
	t.Logf("ps after killing %s:\n%s", killed, ps)

	// The node restarts and rejoins.
	if out, err := exec.Command("docker", "start", killed).CombinedOutput(); err != nil {
		t.Fatalf("start: %v %s", err, out)
	}
	deadline = time.Now().Add(60 * time.Second)
	for !strings.Contains(l.docker("node", "ls", "--format", "{{.Hostname}} {{.Status}}"), killed+" Ready") {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not rejoin:\n%s", killed, l.docker("node", "ls"))
		}
		time.Sleep(time.Second)
	}

	// A changed environment rolls the service, start-first: never fewer
	// than 9 replicas running meanwhile.
	compose := filepath.Join(dir, "compose.yaml")
	data, _ := os.ReadFile(compose)
	if err := os.WriteFile(compose, []byte(strings.Replace(string(data), "GREETING: hello", "GREETING: bonjour", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	minRunning := 99
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			out, err := exec.Command("docker", "-H", l.host, "service", "ps", "demo_web", "--filter", "desired-state=running", "--format", "{{.CurrentState}}").Output()
			if err == nil {
				minRunning = min(minRunning, strings.Count(string(out), "Running"))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	l.mc(dir, "up", "-d", "--resolve-image", "never", "--scale", "web=9")
	close(stop)
	wg.Wait()
	if minRunning < 9 {
		t.Errorf("during the rolling update only %d replicas were running", minRunning)
	}
	if out := l.docker("service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Env}}", "demo_web"); !strings.Contains(out, "GREETING=bonjour") {
		t.Errorf("env not updated: %s", out)
	}

	// docker stack sees the stack.
	if out := l.docker("stack", "ps", "demo", "--filter", "desired-state=running", "--format", "{{.Name}}"); strings.Count(out, "demo_web.") != 9 {
		t.Errorf("docker stack ps:\n%s", out)
	}

	// down removes everything.
	l.mc(dir, "down")
	for _, kind := range []string{"service", "network", "secret", "config"} {
		if out := l.docker(kind, "ls", "-q", "--filter", "label=com.docker.stack.namespace=demo"); strings.TrimSpace(out) != "" {
			t.Errorf("%s left after down: %s", kind, out)
		}
	}
}
