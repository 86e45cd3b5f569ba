package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// blockDevice returns a block device of this machine, for blkio_config
// throttles (the engine checks the path is a block device).
func blockDevice(t *testing.T) string {
	t.Helper()
	for _, d := range []string{"/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/xvda", "/dev/loop0"} {
		if fi, err := os.Stat(d); err == nil && fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0 {
			return d
		}
	}
	t.Fatal("no block device found for blkio_config (looked for vda, sda, nvme0n1, xvda, loop0)")
	return ""
}

// inspectJSON decodes `docker inspect --format {{json PATH}}` of a container.
func inspectJSON(t *testing.T, name, path string, into any) {
	t.Helper()
	out := docker(t, "inspect", "--format", "{{json "+path+"}}", name)
	if err := json.Unmarshal([]byte(out), into); err != nil {
		t.Fatalf("decode %s of %s: %v: %s", path, name, err, out)
	}
}

// TestSpecKeysHostConfig: the cgroup, namespace and runtime keys reach the
// engine's host config as Docker Compose maps them; deploy keys that only a
// Swarm applies are accepted and named by --dry-run.
func TestSpecKeysHostConfig(t *testing.T) {
	h := newHarness(t, "speckeys")
	dev := blockDevice(t)
	h.env = append(h.env, "BLOCK_DEVICE="+dev)

	dry := h.ok("--dry-run", "up", "-d")
	wantNote := `note: service "tuned": deploy.placement, deploy.resources.reservations.cpus, deploy.update_config: Swarm only, not applied here`
	if !strings.Contains(dry.stdout, wantNote) {
		t.Fatalf("--dry-run does not list the Swarm-only keys:\n%s", dry.stdout)
	}

	h.ok("up", "-d")
	name := h.project + "-tuned-1"
	h.want("tuned-1 running", "attached-1 running")
	checkAttachedKeys(t, h)
	var hc struct {
		CpuShares, CpuQuota, CpuPeriod int64
		CpusetCpus                     string
		Memory, MemorySwap             int64
		MemorySwappiness               *int64
		OomScoreAdj                    int
		OomKillDisable                 *bool
		CgroupParent                   string
		DeviceCgroupRules              []string
		UTSMode, UsernsMode            string
		CgroupnsMode, Runtime          string
		Isolation, VolumeDriver        string
		RestartPolicy                  struct {
			Name              string
			MaximumRetryCount int
		}
		BlkioDeviceReadBps []struct {
			Path string
			Rate uint64
		}
		BlkioDeviceWriteIOps []struct {
			Path string
			Rate uint64
		}
	}
	inspectJSON(t, name, ".HostConfig", &hc)
	check := func(field string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	check("CpuShares", hc.CpuShares, int64(512))
	check("CpuQuota", hc.CpuQuota, int64(50000))
	check("CpuPeriod", hc.CpuPeriod, int64(100000))
	check("CpusetCpus", hc.CpusetCpus, "0")
	check("Memory", hc.Memory, int64(64<<20))
	check("MemorySwap", hc.MemorySwap, int64(128<<20))
	if hc.MemorySwappiness == nil || *hc.MemorySwappiness != 60 {
		t.Errorf("MemorySwappiness = %v, want 60", hc.MemorySwappiness)
	}
	check("OomScoreAdj", hc.OomScoreAdj, 100)
	if hc.OomKillDisable == nil || !*hc.OomKillDisable {
		t.Errorf("OomKillDisable = %v, want true", hc.OomKillDisable)
	}
	check("CgroupParent", hc.CgroupParent, "mycompose-e2e")
	check("DeviceCgroupRules", hc.DeviceCgroupRules, []string{"c 1:3 mr"})
	check("UTSMode", hc.UTSMode, "host")
	check("UsernsMode", hc.UsernsMode, "host")
	check("CgroupnsMode", hc.CgroupnsMode, "private")
	check("Runtime", hc.Runtime, "runc")
	check("RestartPolicy", hc.RestartPolicy.Name+":"+strings.Repeat("x", hc.RestartPolicy.MaximumRetryCount), "on-failure:xxx")
	if len(hc.BlkioDeviceReadBps) != 1 || hc.BlkioDeviceReadBps[0].Path != dev || hc.BlkioDeviceReadBps[0].Rate != 10<<20 {
		t.Errorf("BlkioDeviceReadBps = %+v, want %s at 10 MiB/s", hc.BlkioDeviceReadBps, dev)
	}
	if len(hc.BlkioDeviceWriteIOps) != 1 || hc.BlkioDeviceWriteIOps[0].Rate != 100 {
		t.Errorf("BlkioDeviceWriteIOps = %+v, want 100", hc.BlkioDeviceWriteIOps)
	}
	var mac string
	inspectJSON(t, name, ".Config.MacAddress", &mac)
	check("MacAddress", mac, "02:42:ac:11:00:99")

	// A second up changes nothing: every new key is part of the hash that
	// was written, so the container is up to date.
	id := h.containers()[name].ID
	h.ok("up", "-d")
	if got := h.containers()[name].ID; got != id {
		t.Fatalf("second up recreated %s", name)
	}
}

// TestSpecKeysDeviceRequests: gpus: and device reservations become device
// requests. The container is created only: no GPU driver runs here.
func TestSpecKeysDeviceRequests(t *testing.T) {
	h := newHarness(t, "speckeys")
	h.ok("-f", "gpu.yaml", "create")
	var reqs []struct {
		Driver       string
		Count        int
		DeviceIDs    []string
		Capabilities [][]string
		Options      map[string]string
	}
	inspectJSON(t, h.project+"-gpu-1", ".HostConfig.DeviceRequests", &reqs)
	if len(reqs) != 2 {
		t.Fatalf("device requests = %+v, want 2", reqs)
	}
	if r := reqs[0]; r.Driver != "nvidia" || r.Count != 2 || !reflect.DeepEqual(r.Capabilities, [][]string{{"compute", "gpu"}}) {
		t.Errorf("gpus request = %+v", r)
	}
	if r := reqs[1]; r.Driver != "cdi" || !reflect.DeepEqual(r.DeviceIDs, []string{"vendor.com/class=a"}) ||
		!reflect.DeepEqual(r.Capabilities, [][]string{{"custom"}}) || r.Options["mode"] != "fast" {
		t.Errorf("reservation request = %+v", r)
	}
}

// checkAttachedKeys: bind relabelling, non-recursive binds and the network
// attachment's link-local addresses and driver options.
func checkAttachedKeys(t *testing.T, h *harness) {
	t.Helper()
	name := h.project + "-attached-1"
	var binds []string
	inspectJSON(t, name, ".HostConfig.Binds", &binds)
	if len(binds) != 1 || !strings.HasSuffix(binds[0], "/site:/site:z") {
		t.Errorf("binds = %q, want the site bind with :z", binds)
	}
	var mounts []struct {
		Target      string
		BindOptions *struct{ NonRecursive bool }
	}
	inspectJSON(t, name, ".HostConfig.Mounts", &mounts)
	if len(mounts) != 1 || mounts[0].Target != "/data" || mounts[0].BindOptions == nil || !mounts[0].BindOptions.NonRecursive {
		t.Errorf("mounts = %+v, want /data non-recursive", mounts)
	}
	var nets map[string]struct {
		IPAMConfig *struct{ LinkLocalIPs []string }
		DriverOpts map[string]string
	}
	inspectJSON(t, name, ".NetworkSettings.Networks", &nets)
	ep, ok := nets[h.project+"_back"]
	if !ok || ep.IPAMConfig == nil || !reflect.DeepEqual(ep.IPAMConfig.LinkLocalIPs, []string{"169.254.8.8"}) {
		t.Errorf("endpoint on back = %+v, want link-local 169.254.8.8", ep)
	}
	if ep.DriverOpts["com.example.opt"] != "1" {
		t.Errorf("endpoint driver opts = %v", ep.DriverOpts)
	}
}
