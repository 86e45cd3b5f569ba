package loader

import (
	"sort"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mycompose/mycompose/project"
)

// moreResources maps the cgroup keys beyond mem_limit/cpus/pids_limit, as
// Docker Compose's getDeployResources does (cpu_percent is a percentage that
// the engine wants times 100; mem_swappiness 0 means "unset" there too).
func moreResources(s types.ServiceConfig) project.Resources {
	r := project.Resources{
		CPUShares:          s.CPUShares,
		CPUQuota:           s.CPUQuota,
		CPUPeriod:          s.CPUPeriod,
		CPURealtimeRuntime: s.CPURTRuntime,
		CPURealtimePeriod:  s.CPURTPeriod,
		CpusetCpus:         s.CPUSet,
		CPUCount:           s.CPUCount,
		CPUPercent:         int64(s.CPUPercent * 100),
		MemorySwap:         int64(s.MemSwapLimit),
		OomKillDisable:     s.OomKillDisable,
		OomScoreAdj:        int(s.OomScoreAdj),
		CgroupParent:       s.CgroupParent,
		DeviceCgroupRules:  copySlice(s.DeviceCgroupRules),
		Blkio:              blkio(s.BlkioConfig),
	}
	if s.MemSwappiness != 0 {
		v := int64(s.MemSwappiness)
		r.MemorySwappiness = &v
	}
	for _, g := range s.Gpus {
		r.DeviceRequests = append(r.DeviceRequests, deviceRequest(g, "gpu"))
	}
	if s.Deploy != nil && s.Deploy.Resources.Reservations != nil {
		for _, d := range s.Deploy.Resources.Reservations.Devices {
			r.DeviceRequests = append(r.DeviceRequests, deviceRequest(d, ""))
		}
	}
	return r
}

// deviceRequest maps a gpus: entry (extra capability "gpu") or a device
// reservation; count -1 means all devices.
func deviceRequest(d types.DeviceRequest, extraCap string) project.DeviceRequest {
	caps := copySlice(d.Capabilities)
	if extraCap != "" {
		caps = append(caps, extraCap)
	}
	out := project.DeviceRequest{
		Driver:    d.Driver,
		Count:     int(d.Count),
		DeviceIDs: copySlice(d.IDs),
		Options:   copyMap(d.Options),
	}
	if len(caps) > 0 {
		out.Capabilities = [][]string{caps}
	}
	return out
}

func blkio(b *types.BlkioConfig) project.Blkio {
	if b == nil {
		return project.Blkio{}
	}
	out := project.Blkio{Weight: b.Weight}
	for _, w := range b.WeightDevice {
		out.WeightDevice = append(out.WeightDevice, project.BlkioWeight{Path: w.Path, Weight: w.Weight})
	}
	rates := func(in []types.ThrottleDevice) []project.BlkioRate {
		var r []project.BlkioRate
		for _, t := range in {
			r = append(r, project.BlkioRate{Path: t.Path, Rate: uint64(t.Rate)})
		}
		return r
	}
	out.DeviceReadBps = rates(b.DeviceReadBps)
	out.DeviceWriteBps = rates(b.DeviceWriteBps)
	out.DeviceReadIOps = rates(b.DeviceReadIOps)
	out.DeviceWriteIOps = rates(b.DeviceWriteIOps)
	return out
}

// runtimeOptions maps runtime, isolation, cgroup, userns_mode, uts,
// storage_opt, volume_driver and mac_address. Isolation modes other than
// "default" exist only on Windows engines.
func (c *converter) runtimeOptions(s types.ServiceConfig) project.RuntimeOptions {
	switch s.Isolation {
	case "", "default":
	case "process", "hyperv":
		c.serviceRefuse(s.Name, []string{"isolation"},
			"isolation %q is only available on Windows engines (use default, or remove the key)", s.Isolation)
	default:
		c.serviceRefuse(s.Name, []string{"isolation"}, "invalid isolation %q: use default, process or hyperv", s.Isolation)
	}
	switch s.Cgroup {
	case "", "host", "private":
	default:
		c.serviceRefuse(s.Name, []string{"cgroup"}, "invalid cgroup %q: use host or private", s.Cgroup)
	}
	return project.RuntimeOptions{
		Runtime:      s.Runtime,
		Isolation:    s.Isolation,
		CgroupnsMode: s.Cgroup,
		UsernsMode:   s.UserNSMode,
		UTSMode:      s.Uts,
		StorageOpt:   copyMap(s.StorageOpt),
		VolumeDriver: s.VolumeDriver,
		MacAddress:   s.MacAddress,
	}
}

// deployRestart maps deploy.restart_policy onto the engine's policy names,
// as Docker Compose does: it wins over restart:.
func deployRestart(s types.ServiceConfig) (project.RestartPolicy, bool) {
	if s.Deploy == nil || s.Deploy.RestartPolicy == nil {
		return project.RestartPolicy{}, false
	}
	p := s.Deploy.RestartPolicy
	out := project.RestartPolicy{}
	switch p.Condition {
	case "none", "no":
		out.Name = "no"
	case "any", "always", "":
		out.Name = "always"
	default:
		out.Name = p.Condition
	}
	if p.MaxAttempts != nil {
		out.MaxRetries = int(*p.MaxAttempts)
	}
	return out, true
}

// swarmOnlyDeployKeys names the deploy keys that only Swarm honours, in the
// order --dry-run lists them.
func swarmOnlyDeployKeys(s types.ServiceConfig) []string {
	d := s.Deploy
	if d == nil {
		return nil
	}
	var out []string
	add := func(set bool, key string) {
		if set {
			out = append(out, "deploy."+key)
		}
	}
	add(d.Mode != "", "mode")
	add(d.EndpointMode != "", "endpoint_mode")
	add(len(d.Labels) > 0, "labels")
	add(d.UpdateConfig != nil, "update_config")
	add(d.RollbackConfig != nil, "rollback_config")
	add(len(d.Placement.Constraints) > 0 || len(d.Placement.Preferences) > 0 || d.Placement.MaxReplicas != 0, "placement")
	add(d.RestartPolicy != nil && (d.RestartPolicy.Delay != nil || d.RestartPolicy.Window != nil), "restart_policy.delay/window")
	add(d.Resources.Reservations != nil && d.Resources.Reservations.NanoCPUs != 0, "resources.reservations.cpus")
	add(d.Resources.Reservations != nil && len(d.Resources.Reservations.GenericResources) > 0, "resources.reservations.generic_resources")
	sort.Strings(out)
	return out
}
