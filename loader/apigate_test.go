package loader

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

// TestAPIGatedKeys checks that the keys newer engines honour are mapped and
// marked with the API version they need and where they are, so that the
// command can decide with the negotiated version (convergence.CheckAPI).
func TestAPIGatedKeys(t *testing.T) {
	p := mustLoadInline(t, `services:
  web:
    image: busybox
    healthcheck:
      test: [CMD, "true"]
      start_interval: 2s
    networks:
      front:
        mac_address: 02:42:ac:11:65:43
      back: {}
    volumes:
      - type: volume
        source: data
        target: /data
        volume:
          subpath: sub/dir
      - type: image
        source: busybox
        target: /img
        image:
          subpath: bin
networks: {front: {}, back: {}}
volumes: {data: {}}
`)
	web := mustService(t, p, "web")
	want := []project.APIRequirement{
		{Key: "healthcheck.start_interval", API: "1.44", Where: "compose.yaml:6"},
		{Key: "networks.front.mac_address", API: "1.44", Where: "compose.yaml:9"},
		{Key: "volumes[0].volume.subpath", API: "1.45", Where: "compose.yaml:16"},
		{Key: "volumes[1].type: image", API: "1.47", Where: "compose.yaml:17"},
	}
	if !reflect.DeepEqual(web.Requires, want) {
		t.Errorf("Requires:\n got %+v\nwant %+v", web.Requires, want)
	}
	if hc := web.Container.Healthcheck; hc == nil || hc.StartInterval != 2e9 {
		t.Errorf("healthcheck %+v: want start interval 2s", hc)
	}
	macs := map[string]string{}
	for _, a := range web.Networks {
		macs[a.Key] = a.MacAddress
	}
	if macs["front"] != "02:42:ac:11:65:43" || macs["back"] != "" {
		t.Errorf("mac addresses by network: %v", macs)
	}
	m := web.Container.Mounts
	if len(m) != 2 || m[0].Subpath != "sub/dir" || m[1].Type != project.MountImage || m[1].Source != "busybox" || m[1].Subpath != "bin" {
		t.Errorf("mounts: %+v", m)
	}
}

// TestNoAPIGatedKeys: a service without them requires nothing.
func TestNoAPIGatedKeys(t *testing.T) {
	p := mustLoadInline(t, "services:\n  web:\n    image: busybox\n    healthcheck: {test: [CMD, 'true'], interval: 1s}\n")
	if r := mustService(t, p, "web").Requires; r != nil {
		t.Errorf("Requires = %+v, want none", r)
	}
}

// TestAPIGatedKeysRefusedInSwarm: the gated keys are mapped for containers,
// not for Swarm services.
func TestAPIGatedKeysRefusedInSwarm(t *testing.T) {
	dir := inlineDir(t, "services:\n  web:\n    image: busybox\n    healthcheck: {test: [CMD, 'true'], start_interval: 1s}\n", nil)
	_, err := Load(context.Background(), Options{WorkDir: dir, Swarm: true, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), `key "healthcheck.start_interval"`) {
		t.Fatalf("swarm load: err = %v, want healthcheck.start_interval refused", err)
	}
}
