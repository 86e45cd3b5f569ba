package loader

import (
	"reflect"
	"testing"

	"github.com/mycompose/mycompose/project"
)

func TestHostTuningKeys(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web:
    image: busybox
    cpu_shares: 512
    cpu_quota: 50000
    cpu_period: 100000
    cpu_rt_runtime: 400000
    cpu_rt_period: 1400
    cpu_count: 2
    cpu_percent: 50
    cpuset: "0-1"
    mem_swappiness: 60
    memswap_limit: 1g
    oom_kill_disable: true
    oom_score_adj: -500
    cgroup_parent: parent
    device_cgroup_rules: ["c 1:3 mr"]
    blkio_config:
      weight: 300
      weight_device: [{path: /dev/sda, weight: 400}]
      device_read_bps: [{path: /dev/sda, rate: 12mb}]
      device_write_iops: [{path: /dev/sda, rate: 30}]
    gpus: all
    runtime: runc
    isolation: default
    cgroup: host
    userns_mode: host
    uts: host
    storage_opt: {size: 1G}
    mac_address: 02:42:ac:11:65:43
    deploy:
      restart_policy: {condition: any, max_attempts: 5}
      resources:
        reservations:
          devices: [{driver: nvidia, device_ids: ["0", "1"], capabilities: [gpu, utility]}]
`)
	s, _ := p.Service("web")
	swap := int64(60)
	want := project.Resources{
		CPUShares: 512, CPUQuota: 50000, CPUPeriod: 100000,
		CPURealtimeRuntime: 400000, CPURealtimePeriod: 1400,
		CPUCount: 2, CPUPercent: 5000, CpusetCpus: "0-1",
		MemorySwappiness: &swap, MemorySwap: 1 << 30, OomKillDisable: true, OomScoreAdj: -500,
		CgroupParent: "parent", DeviceCgroupRules: []string{"c 1:3 mr"},
		Blkio: project.Blkio{
			Weight:          300,
			WeightDevice:    []project.BlkioWeight{{Path: "/dev/sda", Weight: 400}},
			DeviceReadBps:   []project.BlkioRate{{Path: "/dev/sda", Rate: 12 << 20}},
			DeviceWriteIOps: []project.BlkioRate{{Path: "/dev/sda", Rate: 30}},
		},
		DeviceRequests: []project.DeviceRequest{
			{Count: -1, Capabilities: [][]string{{"gpu"}}},
			{Driver: "nvidia", DeviceIDs: []string{"0", "1"}, Capabilities: [][]string{{"gpu", "utility"}}},
		},
	}
	if got := s.Container.Resources; !reflect.DeepEqual(got, want) {
		t.Errorf("resources:\n got %+v\nwant %+v", got, want)
	}
	wantRT := project.RuntimeOptions{
		Runtime: "runc", Isolation: "default", CgroupnsMode: "host", UsernsMode: "host", UTSMode: "host",
		StorageOpt: map[string]string{"size": "1G"}, MacAddress: "02:42:ac:11:65:43",
	}
	if got := s.Container.Runtime; !reflect.DeepEqual(got, wantRT) {
		t.Errorf("runtime:\n got %+v\nwant %+v", got, wantRT)
	}
	if got := s.Container.Restart; got != (project.RestartPolicy{Name: "always", MaxRetries: 5}) {
		t.Errorf("deploy.restart_policy any -> %+v, want always:5", got)
	}
	if len(s.SwarmOnly) != 0 {
		t.Errorf("SwarmOnly = %q, want none", s.SwarmOnly)
	}
}

func TestSwarmOnlyDeployKeys(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web:
    image: busybox
    restart: always
    deploy:
      mode: replicated
      endpoint_mode: vip
      labels: {a: b}
      placement: {constraints: [node.role==manager]}
      update_config: {parallelism: 2}
      rollback_config: {parallelism: 1}
      restart_policy: {condition: none, delay: 5s}
`)
	s, _ := p.Service("web")
	want := []string{"deploy.endpoint_mode", "deploy.labels", "deploy.mode", "deploy.placement",
		"deploy.restart_policy.delay/window", "deploy.rollback_config", "deploy.update_config"}
	if !reflect.DeepEqual(s.SwarmOnly, want) {
		t.Errorf("SwarmOnly = %q, want %q", s.SwarmOnly, want)
	}
	if s.Container.Restart.Name != "no" {
		t.Errorf("deploy.restart_policy none over restart: always -> %q, want no", s.Container.Restart.Name)
	}
}

func TestDockerDefaultPlatform(t *testing.T) {
	dir := inlineDir(t, "services:\n  web: {image: busybox}\n  arm: {image: busybox, platform: linux/arm64}\n", nil)
	p, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{"DOCKER_DEFAULT_PLATFORM=linux/amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	web, _ := p.Service("web")
	arm, _ := p.Service("arm")
	if web.Container.Platform != "linux/amd64" || arm.Container.Platform != "linux/arm64" {
		t.Errorf("platforms: web %q arm %q", web.Container.Platform, arm.Container.Platform)
	}
	plain, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := plain.Service("web"); w.ConfigHash == web.ConfigHash {
		t.Error("DOCKER_DEFAULT_PLATFORM does not change the hash, as it does in Docker Compose")
	}
}

func TestEnvFileFormatRaw(t *testing.T) {
	dir := inlineDir(t, "services:\n  web:\n    image: busybox\n    env_file:\n      - path: raw.env\n        format: raw\n",
		map[string]string{"raw.env": "JSON='{\"key\": \"value\"}'\nPLAIN=$HOME \"x\"\n"})
	p, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{"HOME=/root"}})
	if err != nil {
		t.Fatal(err)
	}
	web, _ := p.Service("web")
	want := []string{`JSON='{"key": "value"}'`, `PLAIN=$HOME "x"`}
	if !reflect.DeepEqual(web.Container.Env, want) {
		t.Errorf("env = %q, want %q (quotes kept, nothing interpolated)", web.Container.Env, want)
	}
}
