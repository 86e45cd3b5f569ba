package main

import (
	"strings"
	"testing"
)

// networkInfo reads a network's ID and tier label.
func networkInfo(t *testing.T, name string) (id, tier string) {
	t.Helper()
	out := strings.Fields(docker(t, "network", "inspect", "--format", `{{.Id}} {{index .Labels "tier"}}`, name))
	if len(out) != 2 {
		t.Fatalf("network %s: %v", name, out)
	}
	return out[0], out[1]
}

// TestNetworkChangedUnderRunningContainers recreates a network whose
// configuration changed, keeping the containers (same IDs) attached and
// running, with their aliases.
func TestNetworkChangedUnderRunningContainers(t *testing.T) {
	h := newHarness(t, "netchange")
	p := h.project
	h.ok("up", "-d")
	before := h.want("app-1 running", "app-2 running")
	oldID, tier := networkInfo(t, p+"_backend")
	if tier != "a" {
		t.Fatalf("tier = %q", tier)
	}
	if internal := strings.TrimSpace(docker(t, "network", "inspect", "--format", "{{.Internal}}", p+"_front")); internal != "true" {
		t.Errorf("front internal = %s", internal)
	}
	h.env = []string{"TIER=b"}
	r := h.ok("--dry-run", "up", "-d")
	if strings.TrimSpace(r.stdout) != "recreate network "+p+"_backend (config changed)" {
		t.Errorf("plan:\n%s", r.stdout)
	}
	h.ok("up", "-d")
	after := h.want("app-1 running", "app-2 running")
	newID, tier := networkInfo(t, p+"_backend")
	if newID == oldID || tier != "b" {
		t.Errorf("network not recreated: id %s→%s tier %s", oldID[:12], newID[:12], tier)
	}
	for name, c := range before {
		if after[name].ID != c.ID {
			t.Errorf("%s was recreated", name)
		}
		ep, ok := after[name].Networks[p+"_backend"]
		if !ok || !containsString(ep.Aliases, "api") || !containsString(ep.Aliases, "app") {
			t.Errorf("%s on the new network: %+v", name, after[name].Networks)
		}
		if _, ok := after[name].Networks[p+"_front"]; !ok {
			t.Errorf("%s lost the front network", name)
		}
	}
	if n := h.networks(); len(n) != 2 {
		t.Errorf("networks: %v", n)
	}
	if r := h.ok("up", "-d"); strings.Contains(r.stderr, "Recreate") {
		t.Errorf("second up recreated something:\n%s", r.stderr)
	}
}

// TestDownKeepsNetworkUsedByAnotherProject leaves a network another
// container still uses, and says so.
func TestDownKeepsNetworkUsedByAnotherProject(t *testing.T) {
	h := newHarness(t, "netchange")
	h.ok("up", "-d")
	foreign := h.project + "-foreign"
	docker(t, "run", "-d", "--name", foreign, "--network", h.project+"_backend", testImage)
	t.Cleanup(func() { dockerLines(t, "rm", "-f", foreign) })
	r := h.ok("down", "-t", "1")
	h.want()
	if n := h.networks(); strings.Join(n, ",") != h.project+"_backend" {
		t.Errorf("networks after down: %v", n)
	}
	if !strings.Contains(r.stderr, h.project+"_backend") || !strings.Contains(r.stderr, "in use") {
		t.Errorf("down does not say why the network stays:\n%s", r.stderr)
	}
}
