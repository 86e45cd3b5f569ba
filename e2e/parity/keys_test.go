package parity

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
)

// TestLinks: links make the linked service's container reachable under
// the alias (and start it first); external_links reach a container of no
// project; both are the endpoint's links on the primary network.
func TestLinks(t *testing.T) {
	h := newHarness(t, `
services:
  web:
    image: `+testImage+`
    command: `+sleeper+`
    links: ["db:database"]
    external_links: ["${EXT}:legacy"]
  db:
    image: `+testImage+`
    command: `+sleeper+`
`)
	ext := h.project + "-outside"
	docker(t, "run", "-d", "--name", ext, testImage, "sleep", "3600")
	t.Cleanup(func() { dockerLines(t, "rm", "-f", ext) })
	h.env = []string{"EXT=" + ext}
	// The external container must be on the network to be linked.
	h.ok("up", "-d", "--no-start")
	docker(t, "network", "connect", h.project+"_default", ext)
	h.ok("up", "-d")

	web, db := h.ctr("web"), h.ctr("db")
	var links []string
	inspect(t, web, `(index .NetworkSettings.Networks "`+h.project+`_default").Links`, &links)
	for _, want := range []string{db + ":database", db + ":db-1", db + ":" + h.project + "-db-1", ext + ":legacy"} {
		if !slices.Contains(links, want) {
			t.Errorf("links %v lack %q", links, want)
		}
	}
	for _, name := range []string{"database", "legacy"} {
		if out, err := execIn(web, "ping", "-c", "1", "-W", "2", name); err != nil {
			t.Errorf("ping %s from web: %v\n%s", name, err, out)
		}
	}
	// links start the linked service first.
	var dbStart, webStart time.Time
	inspect(t, db, ".State.StartedAt", &dbStart)
	inspect(t, web, ".State.StartedAt", &webStart)
	if webStart.Before(dbStart) {
		t.Errorf("web started at %v, before db at %v", webStart, dbStart)
	}
}

// TestUseAPISocket: the engine's socket is bind-mounted and the CLI's
// registry credentials are handed over in a config file that
// DOCKER_CONFIG points at, as Docker Compose does.
func TestUseAPISocket(t *testing.T) {
	h := newHarness(t, `
services:
  tool:
    image: `+testImage+`
    command: `+sleeper+`
    use_api_socket: true
  own:
    image: `+testImage+`
    command: `+sleeper+`
    use_api_socket: true
    environment:
      DOCKER_CONFIG: /mine
`)
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{"registry.example:5000":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env = []string{"DOCKER_CONFIG=" + cfg}
	r := h.ok("up", "-d")
	if strings.Contains(r.stdout+r.stderr, "s3cret") || strings.Contains(r.stdout+r.stderr, auth) {
		t.Errorf("up printed the credentials")
	}
	tool := h.ctr("tool")
	var mounts []struct{ Type, Source, Destination string }
	inspect(t, tool, ".Mounts", &mounts)
	// The engine's own socket, where this test reaches it too.
	sock := "/var/run/docker.sock"
	if p, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		sock = p
	}
	found := false
	for _, m := range mounts {
		found = found || (m.Type == "bind" && m.Source == sock && m.Destination == "/var/run/docker.sock")
	}
	if !found {
		t.Errorf("no socket bind mount: %+v", mounts)
	}
	if out, err := execIn(tool, "test", "-S", "/var/run/docker.sock"); err != nil {
		t.Errorf("the socket is not a socket in the container: %v %s", err, out)
	}
	var env []string
	inspect(t, tool, ".Config.Env", &env)
	if !slices.Contains(env, "DOCKER_CONFIG=/run/secrets/docker") {
		t.Errorf("env %v lacks DOCKER_CONFIG", env)
	}
	got, err := execIn(tool, "cat", "/run/secrets/docker/config.json")
	if err != nil || !strings.Contains(got, "registry.example:5000") || !strings.Contains(got, auth) {
		t.Errorf("credentials file: %v\n%s", err, got)
	}
	inspect(t, h.ctr("own"), ".Config.Env", &env)
	if !slices.Contains(env, "DOCKER_CONFIG=/mine") {
		t.Errorf("a service's own DOCKER_CONFIG was replaced: %v", env)
	}
	// A tcp endpoint has no socket to mount.
	h.env = append(h.env, "DOCKER_HOST=tcp://127.0.0.1:9")
	r = h.fails("up", "-d")
	if !strings.Contains(r.stderr, `service "tool": use_api_socket can only be used with unix sockets: docker endpoint tcp://127.0.0.1:9 (from DOCKER_HOST) is incompatible`) {
		t.Errorf("up on a tcp endpoint:\n%s", r.stderr)
	}
	h.ok("config", "-q")
}

// TestVolumeLabelsAndIPAMOptions: volume.labels label the volume the
// engine creates for a mount; ipam.options reach the network's IPAM.
func TestVolumeLabelsAndIPAMOptions(t *testing.T) {
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
    volumes:
      - type: volume
        target: /scratch
        volume:
          labels: {com.example.purpose: scratch}
networks:
  default:
    ipam:
      options: {com.example.ipam: "on"}
`)
	h.ok("up", "-d")
	var mounts []struct{ Type, Name, Destination string }
	inspect(t, h.ctr("app"), ".Mounts", &mounts)
	var vol string
	for _, m := range mounts {
		if m.Destination == "/scratch" {
			vol = m.Name
		}
	}
	if vol == "" {
		t.Fatalf("no volume at /scratch: %+v", mounts)
	}
	var labels map[string]string
	inspect(t, vol, ".Labels", &labels)
	if labels["com.example.purpose"] != "scratch" {
		t.Errorf("volume %s labels %v", vol, labels)
	}
	var opts map[string]string
	inspect(t, h.project+"_default", ".IPAM.Options", &opts)
	if opts["com.example.ipam"] != "on" {
		t.Errorf("IPAM options %v", opts)
	}
}

// TestAPIGatedParityKeys: annotations (API 1.43), gw_priority and
// enable_ipv4: false (1.48) and interface_name (1.49) work on an engine
// that has them and are refused before anything is created on one that
// does not, naming the key, the version needed and the engine's.
func TestAPIGatedParityKeys(t *testing.T) {
	release, api := engineAPI(t)
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
    annotations:
      com.example.note: parity
    networks:
      default:
        gw_priority: 10
        interface_name: eth5
networks:
  default:
    enable_ipv4: false
    enable_ipv6: true
    ipam:
      config: [{subnet: "fd00:5ab::/64"}]
`)
	needs := func(key, version string) string {
		return `key "` + key + `" needs Docker Engine API ` + version + ` or later, but the engine (Docker ` + release + `) is used with API ` + api
	}
	type gate struct{ key, version string }
	gates := []gate{{"annotations", "1.43"}, {"networks.default.gw_priority", "1.48"}, {"networks.default.interface_name", "1.49"}, {"networks.default.enable_ipv4", "1.48"}}
	r := h.fails("up", "-d")
	for _, g := range gates {
		msg := needs(g.key, g.version)
		if !convergence.APIAtLeast(api, g.version) {
			if !strings.Contains(r.stderr, msg) {
				t.Errorf("stderr lacks %q:\n%s", msg, r.stderr)
			}
		} else if strings.Contains(r.stderr, `key "`+g.key+`"`) {
			t.Errorf("%s refused on API %s:\n%s", g.key, api, r.stderr)
		}
	}
	if cs := h.containers(); len(cs) != 0 {
		t.Errorf("containers created: %v", cs)
	}
	// annotations alone: applied where the API has them.
	h.write("compose.yaml", `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
    annotations:
      com.example.note: parity
`)
	if !convergence.APIAtLeast(api, "1.43") {
		h.fails("up", "-d")
		return
	}
	h.ok("up", "-d")
	var ann map[string]string
	inspect(t, h.ctr("app"), ".HostConfig.Annotations", &ann)
	if ann["com.example.note"] != "parity" {
		t.Errorf("annotations %v", ann)
	}
}

// execIn runs a command in a container.
func execIn(ctr string, args ...string) (string, error) {
	out, err := execCommand("docker", append([]string{"exec", ctr}, args...)...)
	return out, err
}

// TestGenericResourcesSwarmOnly: generic_resources are reserved by a
// Swarm only: locally --dry-run lists them among the Swarm-only keys and
// the container is created without them.
func TestGenericResourcesSwarmOnly(t *testing.T) {
	h := newHarness(t, `
services:
  app:
    image: `+testImage+`
    command: `+sleeper+`
    deploy:
      resources:
        reservations:
          generic_resources:
            - discrete_resource_spec: {kind: gpu, value: 2}
`)
	dry := h.ok("--dry-run", "up", "-d")
	if want := `note: service "app": deploy.resources.reservations.generic_resources: Swarm only, not applied here`; !strings.Contains(dry.stdout, want) {
		t.Errorf("--dry-run lacks %q:\n%s", want, dry.stdout)
	}
	h.ok("up", "-d")
	var state struct{ Status string }
	inspect(t, h.ctr("app"), ".State", &state)
	if state.Status != "running" {
		t.Errorf("app is %s", state.Status)
	}
}
