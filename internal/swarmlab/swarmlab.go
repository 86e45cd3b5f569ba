// Package swarmlab starts a Swarm lab (scripts/swarm-lab.sh: three nodes,
// each a dockerd in a container, and a registry on the lab network) for an
// end-to-end test, under a unique name, and tears it down when the test
// ends, failed or not. Without the node image (make test builds it) the
// test fails: it never skips.
package swarmlab

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// NodeImage is the lab nodes' image.
const NodeImage = "mycompose-test/swarm-node"

// Lab is a running lab.
type Lab struct {
	// Name prefixes the lab's containers, volumes and network.
	Name string
	// Host is the manager's DOCKER_HOST.
	Host string
	// Registry is the lab registry's host:port, as the nodes reach it.
	Registry string
	script   string
}

// Options shape a lab.
type Options struct {
	// Prefix starts the lab's name (a helper's or suite's tag).
	Prefix string
	// RegistryUser and RegistryPassword, when set, make the lab registry
	// ask for basic auth.
	RegistryUser, RegistryPassword string
}

// Start brings a lab up and registers its teardown.
func Start(t testing.TB, o Options) *Lab {
	t.Helper()
	if out, err := exec.Command("docker", "image", "inspect", NodeImage).CombinedOutput(); err != nil {
		t.Fatalf("no %s image (make test builds it: scripts/setup.sh swarm-node): %v %s", NodeImage, err, out)
	}
	suffix := make([]byte, 3)
	rand.Read(suffix)
	_, file, _, _ := runtime.Caller(0)
	l := &Lab{Name: o.Prefix + hex.EncodeToString(suffix), script: filepath.Join(filepath.Dir(file), "..", "..", "scripts", "swarm-lab.sh")}
	t.Cleanup(func() {
		if out, err := exec.Command(l.script, "down", l.Name).CombinedOutput(); err != nil {
			t.Logf("lab down: %v: %s", err, out)
		}
	})
	up := exec.Command(l.script, "up", l.Name)
	up.Env = append(os.Environ(), "SWARM_REGISTRY_USER="+o.RegistryUser, "SWARM_REGISTRY_PASSWORD="+o.RegistryPassword)
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("lab up: %v\n%s", err, out)
	}
	l.Host = l.run(t, "host")
	l.Registry = l.run(t, "registry")
	return l
}

func (l *Lab) run(t testing.TB, cmd string) string {
	t.Helper()
	out, err := exec.Command(l.script, cmd, l.Name).Output()
	if err != nil {
		t.Fatalf("swarm-lab.sh %s: %v", cmd, err)
	}
	return strings.TrimSpace(string(out))
}

// Node is the container name of node i (1: the manager).
func (l *Lab) Node(i int) string { return fmt.Sprintf("%s-node%d", l.Name, i) }
