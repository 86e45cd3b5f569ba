package loader

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func shaStr(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// hashOf loads an inline project and returns the hash of service web.
func hashOf(t *testing.T, yaml string) string {
	t.Helper()
	return mustService(t, mustLoadInline(t, yaml), "web").ConfigHash
}

const hashBase = `
services:
  web:
    image: nginx:1.25
    environment: {A: "1"}
    deploy: {replicas: 1}
  db:
    image: busybox
`

func TestHashIsStableHex(t *testing.T) {
	h := hashOf(t, hashBase)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Fatalf("hash %q", h)
	}
	if again := hashOf(t, hashBase); again != h {
		t.Errorf("hash changed between loads: %s %s", h, again)
	}
}

func TestHashChangesWithEnvironment(t *testing.T) {
	changed := hashOf(t, `
services:
  web:
    image: nginx:1.25
    environment: {A: "2"}
    deploy: {replicas: 1}
  db:
    image: busybox
`)
	if changed == hashOf(t, hashBase) {
		t.Error("hash did not change with the environment")
	}
}

// TestHashIgnoresScaleAndDependencies covers the keys Docker Compose clears
// so that changing them never recreates containers.
func TestHashIgnoresScaleAndDependencies(t *testing.T) {
	base := hashOf(t, hashBase)
	variants := map[string]string{
		"deploy.replicas": `
services:
  web: {image: nginx:1.25, environment: {A: "1"}, deploy: {replicas: 5}}
  db: {image: busybox}
`,
		"scale": `
services:
  web: {image: nginx:1.25, environment: {A: "1"}, deploy: {replicas: 4}, scale: 4}
  db: {image: busybox}
`,
		"depends_on": `
services:
  web: {image: nginx:1.25, environment: {A: "1"}, deploy: {replicas: 1}, depends_on: {db: {condition: service_healthy}}}
  db: {image: busybox}
`,
		"pull_policy": `
services:
  web: {image: nginx:1.25, environment: {A: "1"}, deploy: {replicas: 1}, pull_policy: always}
  db: {image: busybox}
`,
	}
	for key, yaml := range variants {
		if h := hashOf(t, yaml); h != base {
			t.Errorf("changing %s changed the hash", key)
		}
	}
	dir := inlineDir(t, `
services:
  web: {image: nginx:1.25, environment: {A: "1"}, deploy: {replicas: 1}, profiles: [extra]}
  db: {image: busybox}
`, nil)
	p, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{}, Profiles: []string{"extra"}})
	if err != nil || mustService(t, p, "web").ConfigHash != base {
		t.Errorf("changing profiles changed the hash (err %v)", err)
	}
}

// TestHashRecipePinned recomputes a hash from the JSON Docker Compose
// marshals for the service, written out by hand: if compose-go's model or
// our recipe drift, this fails.
func TestHashRecipePinned(t *testing.T) {
	h := hashOf(t, `
services:
  web:
    image: nginx:1.25
    network_mode: none
    environment: {A: "1"}
    scale: 3
    pull_policy: always
    depends_on: [db]
  db:
    image: busybox
`)
	json := `{"command":null,"entrypoint":null,"environment":{"A":"1"},"image":"nginx:1.25","network_mode":"none"}`
	const want = "4ad8dfccc4f9f1be519019b7a7f18f8252fea66ffb393e51ba32eedbf743cda9"
	if shaStr(json) != want {
		t.Fatalf("sha256(%s) = %s, want %s", json, shaStr(json), want)
	}
	if h != want {
		t.Errorf("hash %s, want %s = sha256(%s)", h, want, json)
	}
}

func TestServiceHashDoesNotMutate(t *testing.T) {
	replicas := 3
	s := types.ServiceConfig{ContainerSpec: types.ContainerSpec{Image: "x"}, Deploy: &types.DeployConfig{Replicas: &replicas}}
	if _, err := ServiceHash(s); err != nil {
		t.Fatal(err)
	}
	if s.Deploy.Replicas == nil || *s.Deploy.Replicas != 3 {
		t.Error("ServiceHash cleared the caller's deploy.replicas")
	}
}

func TestVolumeAndNetworkHashRecipes(t *testing.T) {
	v, err := volumeHash(types.VolumeConfig{Name: "app_data"})
	if err != nil || v != shaStr(`{"name":"app_data","driver":"local"}`) {
		t.Errorf("volume hash %s %v: driver must default to local", v, err)
	}
	n, err := networkHash(types.NetworkConfig{Name: "app_default"})
	if err != nil || n != shaStr(`{"name":"app_default","ipam":{}}`) {
		t.Errorf("network hash %s %v", n, err)
	}
	p := mustLoadInline(t, "services:\n  web: {image: busybox, volumes: ['data:/d']}\nvolumes: {data: {}}\n")
	if p.Networks[0].ConfigHash != shaStr(`{"name":"app_default","ipam":{}}`) ||
		p.Volumes[0].ConfigHash != shaStr(`{"name":"app_data","driver":"local"}`) {
		t.Errorf("project hashes %s %s", p.Networks[0].ConfigHash, p.Volumes[0].ConfigHash)
	}
}
