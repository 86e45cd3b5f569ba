package loader

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSwarmRefusesKeysWithReason(t *testing.T) {
	dir := t.TempDir()
	yaml := `services:
  web:
    image: x
    privileged: true
    container_name: web1
    deploy:
      placement: {constraints: [node.role==worker]}
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), Options{WorkDir: dir, Swarm: true, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), `service "web": key "privileged" cannot be used with --swarm`) ||
		!strings.Contains(err.Error(), `key "container_name" cannot be used with --swarm`) {
		t.Fatalf("err = %v", err)
	}
	// Without Swarm mode, deploy.placement is accepted and noted as Swarm only.
	if p, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{}}); err != nil || len(p.Services[0].SwarmOnly) != 1 || p.Services[0].SwarmOnly[0] != "deploy.placement" {
		t.Fatalf("local load: err = %v", err)
	}
	// In Swarm mode the placement is kept.
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    image: x\n    deploy:\n      placement: {constraints: [node.role==worker]}\n"), 0o644)
	p, err := Load(context.Background(), Options{WorkDir: dir, Swarm: true, Environ: []string{}})
	if err != nil || p.Services[0].Swarm == nil || p.Services[0].Swarm.Constraints[0] != "node.role==worker" {
		t.Fatalf("p=%v err=%v", p, err)
	}
}

func TestSwarmBuildNeedsImage(t *testing.T) {
	dir := t.TempDir()
	write := func(yaml string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("services:\n  app:\n    build: .\n")
	_, err := Load(context.Background(), Options{WorkDir: dir, Swarm: true, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), `service "app": build needs image: with --swarm`) {
		t.Fatalf("err = %v", err)
	}
	write("services:\n  app:\n    build: .\n    image: reg:5000/app:1\n")
	p, err := Load(context.Background(), Options{WorkDir: dir, Swarm: true, Environ: []string{}})
	if err != nil || p.Services[0].Build == nil || p.Services[0].Container.Image != "reg:5000/app:1" {
		t.Fatalf("p=%v err=%v", p, err)
	}
}
