package loader

import (
	"reflect"
	"testing"

	"github.com/mycompose/mycompose/project"
)

func TestImplicitDefaultNetwork(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web: {image: busybox}
  host: {image: busybox, network_mode: host}
networks:
  spare: {}
`)
	if want := []project.NetworkAttachment{{Key: "default", Name: "app_default"}}; !reflect.DeepEqual(mustService(t, p, "web").Networks, want) {
		t.Errorf("web networks %+v", mustService(t, p, "web").Networks)
	}
	host := mustService(t, p, "host")
	if host.Networks != nil || host.Container.NetworkMode != "host" {
		t.Errorf("host %+v", host)
	}
	if len(p.Networks) != 1 || p.Networks[0].Key != "default" {
		t.Errorf("project networks %+v: only used ones", p.Networks)
	}
}

func TestNoDefaultNetworkWhenUnused(t *testing.T) {
	p := mustLoadInline(t, "services:\n  web: {image: busybox, network_mode: none}\n")
	if len(p.Networks) != 0 {
		t.Errorf("networks %+v", p.Networks)
	}
}

func TestNetworkPriorityOrder(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web:
    image: busybox
    networks:
      a: {}
      b: {priority: 5}
      c: {priority: 5}
networks: {a: {}, b: {}, c: {}}
`)
	var keys []string
	for _, n := range mustService(t, p, "web").Networks {
		keys = append(keys, n.Key)
	}
	if !reflect.DeepEqual(keys, []string{"b", "c", "a"}) {
		t.Errorf("order %v: priority desc then key", keys)
	}
}

func TestEnvironmentNilValuesDropped(t *testing.T) {
	p := mustLoadInline(t, "services:\n  web:\n    image: busybox\n    environment: [UNSET, EMPTY=, SET=1]\n")
	if want := []string{"EMPTY=", "SET=1"}; !reflect.DeepEqual(mustService(t, p, "web").Container.Env, want) {
		t.Errorf("env %v, want %v", mustService(t, p, "web").Container.Env, want)
	}
}

func TestCommandAndEntrypointNilVersusEmpty(t *testing.T) {
	p := mustLoadInline(t, `
services:
  unset: {image: busybox}
  empty: {image: busybox, command: [], entrypoint: []}
  shell: {image: busybox, command: "echo 'a b'"}
`)
	if c := mustService(t, p, "unset").Container; c.Cmd != nil || c.Entrypoint != nil {
		t.Errorf("unset: %#v %#v", c.Cmd, c.Entrypoint)
	}
	if c := mustService(t, p, "empty").Container; c.Cmd == nil || len(c.Cmd) != 0 || c.Entrypoint == nil || len(c.Entrypoint) != 0 {
		t.Errorf("empty: %#v %#v", c.Cmd, c.Entrypoint)
	}
	if c := mustService(t, p, "shell").Container; !reflect.DeepEqual(c.Cmd, []string{"echo", "a b"}) {
		t.Errorf("shell: %#v", c.Cmd)
	}
}

func TestReplicas(t *testing.T) {
	p := mustLoadInline(t, `
services:
  one: {image: busybox}
  scaled: {image: busybox, scale: 3}
  deployed: {image: busybox, deploy: {replicas: 2}}
  zero: {image: busybox, scale: 0}
`)
	for name, want := range map[string]int{"one": 1, "scaled": 3, "deployed": 2, "zero": 0} {
		if got := mustService(t, p, name).Replicas; got != want {
			t.Errorf("%s: %d replicas, want %d", name, got, want)
		}
	}
}

func TestOptionalDependencyOnDisabledService(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web:
    image: busybox
    depends_on:
      db: {condition: service_started, required: false}
  db: {image: busybox, profiles: [db]}
`)
	if deps := mustService(t, p, "web").DependsOn; deps != nil {
		t.Errorf("depends_on %+v: the disabled optional dependency must be dropped", deps)
	}
	if len(p.Warnings) != 1 {
		t.Errorf("warnings %q", p.Warnings)
	}
}

// An optional dependency on a service that does not exist at all is an
// error in compose-go (and so in Docker Compose); we keep that.
func TestOptionalDependencyOnUndefinedService(t *testing.T) {
	loadErr(t, `
services:
  web:
    image: busybox
    depends_on:
      ghost: {condition: service_started, required: false}
`, `service "web" depends on undefined service "ghost"`)
}

func TestDuplicateContainerName(t *testing.T) {
	loadErr(t, `
services:
  a: {image: busybox, container_name: same}
  b: {image: busybox, container_name: same}
`, `compose.yaml:4: service "b": container_name "same" is already used by service "a"`)
}

func TestRestartPolicies(t *testing.T) {
	p := mustLoadInline(t, `
services:
  a: {image: busybox, restart: "no"}
  b: {image: busybox, restart: always}
  c: {image: busybox, restart: on-failure}
  d: {image: busybox}
`)
	want := map[string]project.RestartPolicy{"a": {Name: "no"}, "b": {Name: "always"}, "c": {Name: "on-failure"}, "d": {}}
	for name, w := range want {
		if got := mustService(t, p, name).Container.Restart; got != w {
			t.Errorf("%s: %+v, want %+v", name, got, w)
		}
	}
}
