package loader

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
)

func TestBuildKitKeysAreMapped(t *testing.T) {
	dir := inlineDir(t, `
services:
  base:
    build: ./base
  app:
    build:
      context: ./app
      tags: [extra:1]
      platforms: [linux/amd64]
      ssh:
        - default
        - deploy=/run/agent.sock
      secrets:
        - tok
        - source: env
          target: renamed
      cache_from: [app:cache, "type=local,src=/tmp/c"]
      cache_to: ["type=inline"]
      additional_contexts:
        base: service:base
        dir: ./other
        img: docker-image://x:1
      network: host
      shm_size: 64m
      extra_hosts: ["db=10.0.0.2"]
      isolation: default
      privileged: true
      entitlements: [network.host]
      ulimits: {nofile: 1024}
secrets:
  tok: {file: ./tok.txt}
  env: {environment: TOKEN}
`, map[string]string{"tok.txt": "x", "base/Dockerfile": "FROM scratch\n", "app/Dockerfile": "FROM scratch\n"})
	p, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{"TOKEN=from-env"}})
	if err != nil {
		t.Fatal(err)
	}
	b := mustService(t, p, "app").Build
	got := fmt.Sprintln(b.Tags, b.Platforms, b.SSH, b.CacheFrom, b.CacheTo, b.Network, b.ShmSize,
		b.ExtraHosts, b.Isolation, b.Privileged, b.Entitlements, b.Ulimits)
	want := "[extra:1] [linux/amd64] [{default []} {deploy [/run/agent.sock]}] [app:cache type=local,src=/tmp/c] [type=inline] host 67108864 [db:10.0.0.2] default true [network.host] [{nofile 1024 1024}]\n"
	if got != want {
		t.Errorf("build:\n%swant:\n%s", got, want)
	}
	if len(b.Secrets) != 2 || b.Secrets[0].ID != "tok" || b.Secrets[0].File != filepath.Join(dir, "tok.txt") ||
		b.Secrets[1].ID != "renamed" || string(b.Secrets[1].Content) != "from-env" {
		t.Errorf("secrets: %+v", b.Secrets)
	}
	if c := b.AdditionalContexts; c["base"] != "service:base" || c["dir"] != filepath.Join(dir, "other") || c["img"] != "docker-image://x:1" {
		t.Errorf("additional contexts: %v", c)
	}
}

func TestRemoteBuildContextStaysAURL(t *testing.T) {
	p := mustLoadInline(t, "services:\n  app:\n    build: https://example.com/ctx.tar\n")
	b := mustService(t, p, "app").Build
	if b.Remote != "https://example.com/ctx.tar" || b.Context != "" {
		t.Errorf("remote %q, context %q", b.Remote, b.Context)
	}
}

func TestBuildValuesTheEngineCannotHonourAreRefused(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"cache_to: [type=registry,ref=x]", `cache type "registry" is not supported`},
		{"cache_from: [type=gha]", `cache type "gha" is not supported`},
		{"network: mynet", `network "mynet" is not supported for builds`},
		{"platforms: [linux/amd64, linux/arm64]", "2 platforms"},
		{"isolation: hyperv", `isolation "hyperv" is a Windows engine option`},
		{"entitlements: [device]", `entitlement "device" is unknown`},
	} {
		t.Run(c.want, func(t *testing.T) {
			loadErr(t, "services:\n  app:\n    build:\n      context: .\n      "+c.yaml+"\n", `service "app"`, c.want)
		})
	}
}

// TestSSHKeyWithPathRendersAsJSON: build.ssh id=path used to break the key
// check and `config --format json` (compose-go marshals it as invalid JSON).
func TestSSHKeyWithPathRendersAsJSON(t *testing.T) {
	dir := inlineDir(t, "services:\n  app:\n    build:\n      context: .\n      ssh: [default, deploy=/run/agent.sock]\n", nil)
	out, err := Render(t.Context(), Options{WorkDir: dir, Environ: []string{}}, "json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Services map[string]struct {
			Build struct{ SSH []string }
		}
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("config JSON: %v\n%s", err, out)
	}
	if got := fmt.Sprint(v.Services["app"].Build.SSH); got != "[default deploy=/run/agent.sock]" {
		t.Errorf("ssh = %s", got)
	}
}
