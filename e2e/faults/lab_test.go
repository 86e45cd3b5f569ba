// Package faults injects faults from outside the client into mycompose
// commands: the engine restarting, the connection to a remote engine
// dropping, one service of many failing, the engine's disk filling, and
// containers dying under the project.
//
// Every fault runs inside a lab node (a container running its own dockerd,
// the Swarm lab's node image: Debian bookworm's Docker 20.10), never on the
// machine's engine: the node's dockerd can be stopped and started, its API
// port (and its sshd's, for ssh://) cut with iptables, and parts of its
// data directory made small. One node serves the whole package; the tests
// run one after another since they restart its engine.
//
// No fault is placed by sleeping: each waits for an observable event (an
// engine event from the node, a line of the command's output, a container
// state) and then strikes. Deadlines in the helpers only turn a hang into
// a failure.
package faults

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mycompose/mycompose/internal/e2etest"
)

const (
	nodeImage = "mycompose-test/swarm-node"
	testImage = "mycompose-test/busybox:latest"
	// labLabel marks what this package creates on the machine's engine.
	labLabel = "org.mycompose.fault-lab"
)

var (
	binary string
	lab    *node
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	for _, img := range []string{nodeImage, testImage} {
		if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
			// make test builds both first (images, swarm-node): a missing
			// one is a failure, never a skip.
			fmt.Fprintf(os.Stderr, "faults: no %s image: run `make images swarm-node` (make test does)\n", img)
			return 1
		}
	}
	bin, removeBin, err := e2etest.Setup("../..")
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	defer removeBin()
	binary = bin
	lab, err = startNode()
	if lab != nil {
		defer lab.remove()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: start the lab node: %v\n", err)
		return 1
	}
	code := m.Run()
	lab.report()
	return code
}

// node is one lab node: a container of the machine's engine running its
// own dockerd, which is started by docker exec (the container's main
// process only sleeps) so that it can be stopped and started again.
type node struct {
	name, net, volume string
	ip                string

	mu     sync.Mutex
	counts map[string]int // fault -> times injected, for the report
}

func hostDocker(args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = hostEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// hostEnv is the environment without what would point the docker CLI
// elsewhere than the machine's engine.
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOCKER_HOST=") && !strings.HasPrefix(kv, "DOCKER_CONTEXT=") {
			env = append(env, kv)
		}
	}
	return env
}

func startNode() (*node, error) {
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name := "flt" + hex.EncodeToString(suffix)
	n := &node{name: name + "-node1", net: name + "-net", volume: name + "-node1-docker", counts: map[string]int{}}
	if _, err := hostDocker("network", "create", "--label", labLabel+"="+name, n.net); err != nil {
		return n, err
	}
	// The Swarm lab's options (scripts/swarm-lab.sh start_node): every
	// capability, no seccomp or apparmor, writable /sys, all devices.
	if _, err := hostDocker("run", "-d", "--name", n.name, "--hostname", n.name, "--network", n.net,
		"--label", labLabel+"="+name, "--init",
		"--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
		"--security-opt", "systempaths=unconfined", "--device-cgroup-rule", "a *:* rwm",
		"-v", n.volume+":/var/lib/docker", "--tmpfs", "/run", "--tmpfs", "/tmp",
		"--entrypoint", "/bin/sh", nodeImage, "-c", "exec sleep infinity"); err != nil {
		return n, err
	}
	ip, err := hostDocker("inspect", "-f", fmt.Sprintf("{{(index .NetworkSettings.Networks %q).IPAddress}}", n.net), n.name)
	if err != nil {
		return n, err
	}
	n.ip = ip
	if err := n.startEngine(); err != nil {
		return n, err
	}
	for _, img := range []string{testImage} {
		save := exec.Command("docker", "save", img)
		save.Env = hostEnv()
		load := exec.Command("docker", "exec", "-i", n.name, "docker", "load", "-q")
		load.Env = hostEnv()
		pipe, err := save.StdoutPipe()
		if err != nil {
			return n, err
		}
		load.Stdin = pipe
		if err := save.Start(); err != nil {
			return n, err
		}
		if out, err := load.CombinedOutput(); err != nil {
			return n, fmt.Errorf("load %s into the node: %v: %s", img, err, out)
		}
		if err := save.Wait(); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (n *node) remove() {
	hostDocker("rm", "-f", "-v", n.name)
	hostDocker("volume", "rm", n.volume)
	hostDocker("network", "rm", n.net)
}

// host is the DOCKER_HOST of the node's engine.
func (n *node) host() string { return "tcp://" + n.ip + ":2375" }

// sh runs a shell command inside the node (not in its engine).
func (n *node) sh(script string) (string, error) {
	return hostDocker("exec", n.name, "sh", "-c", script)
}

// docker runs the docker CLI against the node's engine.
func (n *node) docker(args ...string) (string, error) {
	return hostDocker(append([]string{"-H", n.host()}, args...)...)
}

// startEngine starts dockerd in the node and waits until it answers.
func (n *node) startEngine() error {
	if _, err := hostDocker("exec", "-d", n.name, "/usr/local/bin/swarm-node-start"); err != nil {
		return err
	}
	return n.waitFor("the node's engine to answer", 60*time.Second, func() bool {
		_, err := n.sh("docker info >/dev/null 2>&1")
		return err == nil
	})
}

// stopEngine stops dockerd as systemctl would (SIGTERM: it closes its API,
// stops the containers, exits) and waits until it has exited.
func (n *node) stopEngine() error {
	if _, err := n.sh("kill -TERM $(cat /var/run/docker.pid)"); err != nil {
		return err
	}
	return n.waitFor("the node's engine to exit", 90*time.Second, func() bool {
		_, err := n.sh("test -e /var/run/docker.pid")
		return err != nil
	})
}

// restartEngine is a daemon restart: stop, then start.
func (n *node) restartEngine() error {
	if err := n.stopEngine(); err != nil {
		return err
	}
	return n.startEngine()
}

// cutPorts are the node's ports cut and healed: the engine's API, and
// sshd's for the ssh:// tests (ssh_test.go).
var cutPorts = []string{"2375", "22"}

// cut drops every packet to the node's API and ssh ports: established
// connections go silent (no reset), new ones time out. heal undoes it.
func (n *node) cut() error {
	var script []string
	for _, port := range cutPorts {
		script = append(script, "iptables -I INPUT -p tcp --dport "+port+" -j DROP")
	}
	_, err := n.sh(strings.Join(script, " && "))
	return err
}

func (n *node) heal() error {
	var script []string
	for _, port := range cutPorts {
		script = append(script, "while iptables -D INPUT -p tcp --dport "+port+" -j DROP 2>/dev/null; do :; done")
	}
	_, err := n.sh(strings.Join(script, "; "))
	return err
}

func (n *node) waitFor(what string, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// injected counts a fault for the report.
func (n *node) injected(fault string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.counts[fault]++
}

// report prints the counts of faults injected (docs/reliability.md).
func (n *node) report() {
	n.mu.Lock()
	defer n.mu.Unlock()
	var keys []string
	for k := range n.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("faults: injected %-72s %d\n", k, n.counts[k])
	}
}

// healthy makes sure the node's engine answers and its API port is open,
// whatever the previous test left.
func healthy(t *testing.T) {
	t.Helper()
	if err := lab.heal(); err != nil {
		t.Fatal(err)
	}
	if _, err := lab.sh("docker info >/dev/null 2>&1"); err != nil {
		if err := lab.startEngine(); err != nil {
			t.Fatal(err)
		}
	}
}

// project is one test's compose project on the node.
type project struct {
	t    *testing.T
	dir  string
	name string
	// env is added to the environment of its mycompose processes, after
	// DOCKER_HOST=tcp://… (so it can replace it: ssh_test.go).
	env []string
}

func newProject(t *testing.T, yaml string) *project {
	t.Helper()
	healthy(t)
	suffix := make([]byte, 3)
	rand.Read(suffix)
	p := &project{t: t, dir: t.TempDir(), name: "flt" + hex.EncodeToString(suffix)}
	p.write(yaml)
	t.Cleanup(func() {
		lab.heal()
		if _, err := lab.sh("docker info >/dev/null 2>&1"); err != nil {
			lab.startEngine()
		}
		// Remove whatever the project left on the node, with the node's CLI.
		lab.sh(fmt.Sprintf(`docker ps -aq --filter label=com.docker.compose.project=%[1]s | xargs -r docker rm -f -v >/dev/null
docker network ls -q --filter label=com.docker.compose.project=%[1]s | xargs -r docker network rm >/dev/null
docker volume ls -q --filter label=com.docker.compose.project=%[1]s | xargs -r docker volume rm >/dev/null`, p.name))
	})
	return p
}

func (p *project) write(yaml string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// cmd is a mycompose process on the node's engine.
type cmd struct {
	c    *exec.Cmd
	out  *lines // stdout and stderr, interleaved
	done chan struct{}
	code int
}

func (p *project) start(args ...string) *cmd {
	p.t.Helper()
	c := exec.Command(binary, append([]string{"-p", p.name, "--progress", "plain"}, args...)...)
	c.Dir = p.dir
	c.Env = append(append(hostEnv(), "DOCKER_HOST="+lab.host()), p.env...)
	r := &cmd{c: c, out: newLines(), done: make(chan struct{})}
	c.Stdout, c.Stderr = r.out, r.out
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() {
		c.Wait()
		r.code = c.ProcessState.ExitCode()
		close(r.done)
	}()
	p.t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			c.Process.Kill()
			<-r.done
		}
	})
	return r
}

// wait waits for the command to exit; limit only turns a hang into a
// failure (the bound the issue asks for).
func (c *cmd) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
		return c.code
	case <-time.After(limit):
		t.Fatalf("%v still running after %s (a hang):\n%s", c.c.Args, limit, c.out.String())
	}
	return 0
}

// run runs a command to its end.
func (p *project) run(args ...string) (int, string) {
	p.t.Helper()
	c := p.start(args...)
	code := c.wait(p.t, 3*time.Minute)
	return code, c.out.String()
}

// ok runs a command that must succeed.
func (p *project) ok(args ...string) string {
	p.t.Helper()
	code, out := p.run(args...)
	if code != 0 {
		p.t.Fatalf("mycompose %v: exit %d\n%s", args, code, out)
	}
	return out
}

// lines is an output buffer that can be waited on.
type lines struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	cond *sync.Cond
}

func newLines() *lines {
	l := &lines{}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cond.Broadcast()
	return l.buf.Write(b)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor waits until the output contains s.
func (l *lines) waitFor(t *testing.T, s string, c *cmd) {
	t.Helper()
	ok := make(chan struct{})
	go func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for !strings.Contains(l.buf.String(), s) {
			select {
			case <-c.done:
				close(ok)
				return
			default:
			}
			l.cond.Wait()
		}
		close(ok)
	}()
	go func() { <-c.done; l.mu.Lock(); l.cond.Broadcast(); l.mu.Unlock() }()
	select {
	case <-ok:
	case <-time.After(3 * time.Minute):
		t.Fatalf("no %q in the output of %v:\n%s", s, c.c.Args, l.String())
	}
	if !strings.Contains(l.String(), s) {
		t.Fatalf("%v exited (%d) before printing %q:\n%s", c.c.Args, c.code, s, l.String())
	}
}

// firstError is the first line of the output starting with "Error".
func firstError(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Error") {
			return line
		}
	}
	return ""
}

// event is one engine event of the node.
type event struct {
	Type   string `json:"Type"`
	Action string `json:"Action"`
	Actor  struct {
		ID         string            `json:"ID"`
		Attributes map[string]string `json:"Attributes"`
	} `json:"Actor"`
}

// events follows the node's engine events from now on.
type events struct {
	ch     chan event
	cancel context.CancelFunc
}

func (p *project) events() *events {
	p.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := exec.CommandContext(ctx, "docker", "-H", lab.host(), "events", "--format", "{{json .}}")
	c.Env = hostEnv()
	out, err := c.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	e := &events{ch: make(chan event, 1024), cancel: cancel}
	go func() {
		defer close(e.ch)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev event
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				e.ch <- ev
			}
		}
		io.Copy(io.Discard, out)
		c.Wait()
	}()
	// The stream is open once it carries an event of our own (an image
	// tag on itself), sent again until one arrives.
	p.t.Cleanup(cancel)
	for i := 0; ; i++ {
		if _, err := lab.docker("image", "tag", testImage, testImage); err != nil {
			p.t.Fatal(err)
		}
		select {
		case ev := <-e.ch:
			if ev.Type == "image" && ev.Action == "tag" {
				return e
			}
		case <-time.After(time.Second):
			if i == 60 {
				p.t.Fatal("the events stream does not open")
			}
		}
	}
}

// next waits for the first event that matches.
func (e *events) next(t *testing.T, what string, match func(event) bool) event {
	t.Helper()
	timeout := time.After(3 * time.Minute)
	for {
		select {
		case ev, ok := <-e.ch:
			if !ok {
				t.Fatalf("the events stream ended before %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no event: %s", what)
		}
	}
}

// all waits until each matcher has matched an event, in any order.
func (e *events) all(t *testing.T, what string, matches ...func(event) bool) {
	t.Helper()
	left := append([]func(event) bool(nil), matches...)
	e.next(t, what, func(ev event) bool {
		for i, m := range left {
			if m(ev) {
				left = append(left[:i], left[i+1:]...)
				break
			}
		}
		return len(left) == 0
	})
}

// container matches a container event of the project's service.
func (p *project) container(action, service string) func(event) bool {
	return func(ev event) bool {
		return ev.Type == "container" && strings.HasPrefix(ev.Action, action) &&
			ev.Actor.Attributes["com.docker.compose.project"] == p.name &&
			(service == "" || ev.Actor.Attributes["com.docker.compose.service"] == service)
	}
}

// state is what the node's engine holds of the project.
type ctr struct {
	ID, Name, State string
	ExitCode        int
	Service         string
}

func (p *project) containers() map[string]ctr {
	p.t.Helper()
	out, err := lab.docker("ps", "-aq", "--filter", "label=com.docker.compose.project="+p.name)
	if err != nil {
		p.t.Fatal(err)
	}
	m := map[string]ctr{}
	if out == "" {
		return m
	}
	ids := strings.Fields(out)
	js, err := lab.docker(append([]string{"inspect", "-f",
		`{{.Id}}|{{.Name}}|{{.State.Status}}|{{.State.ExitCode}}|{{index .Config.Labels "com.docker.compose.service"}}`}, ids...)...)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, line := range strings.Split(js, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 5 {
			continue
		}
		var code int
		fmt.Sscan(f[3], &code)
		c := ctr{ID: f[0], Name: strings.TrimPrefix(f[1], "/"), State: f[2], ExitCode: code, Service: f[4]}
		m[c.Name] = c
	}
	return m
}

// want checks that the project holds exactly these containers, in these
// states, and returns them.
func (p *project) want(states map[string]string) map[string]ctr {
	p.t.Helper()
	got := p.containers()
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(got) != len(states) {
		p.t.Fatalf("containers %v, want %d: %v", names, len(states), states)
	}
	for short, st := range states {
		c, ok := got[p.name+"-"+short]
		if !ok {
			p.t.Fatalf("no container %s-%s (have %v)", p.name, short, names)
		}
		if st != "" && c.State != st {
			p.t.Fatalf("%s is %s, want %s", c.Name, c.State, st)
		}
	}
	return got
}

func (p *project) networks() []string {
	p.t.Helper()
	out, err := lab.docker("network", "ls", "-q", "--filter", "label=com.docker.compose.project="+p.name)
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.Fields(out)
}

// volumeFile reads a file of a named volume through a throwaway container.
func (p *project) volumeFile(volume, file string) string {
	p.t.Helper()
	out, err := lab.docker("run", "--rm", "-v", p.name+"_"+volume+":/v", testImage, "cat", "/v/"+file)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

func (p *project) writeVolumeFile(volume, file, content string) {
	p.t.Helper()
	if _, err := lab.docker("run", "--rm", "-v", p.name+"_"+volume+":/v", testImage, "sh", "-c",
		fmt.Sprintf("printf %%s %q > /v/%s", content, file)); err != nil {
		p.t.Fatal(err)
	}
}
