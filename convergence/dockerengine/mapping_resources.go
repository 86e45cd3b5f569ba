package dockerengine

import (
	"github.com/docker/docker/api/types/blkiodev"
	"github.com/docker/docker/api/types/container"

	"github.com/mycompose/mycompose/project"
)

// mapResources maps the spec's cgroup settings onto the engine's Resources,
// field by field as Docker Compose's getDeployResources does.
func mapResources(s project.ContainerSpec) container.Resources {
	r := s.Resources
	out := container.Resources{
		Memory:             s.Memory,
		MemoryReservation:  s.MemoryReservation,
		NanoCPUs:           s.NanoCPUs,
		Ulimits:            mapUlimits(s.Ulimits),
		Devices:            mapDevices(s.Devices),
		CPUShares:          r.CPUShares,
		CPUQuota:           r.CPUQuota,
		CPUPeriod:          r.CPUPeriod,
		CPURealtimeRuntime: r.CPURealtimeRuntime,
		CPURealtimePeriod:  r.CPURealtimePeriod,
		CpusetCpus:         r.CpusetCpus,
		CPUCount:           r.CPUCount,
		CPUPercent:         r.CPUPercent,
		MemorySwappiness:   r.MemorySwappiness,
		MemorySwap:         r.MemorySwap,
		CgroupParent:       r.CgroupParent,
		DeviceCgroupRules:  r.DeviceCgroupRules,
		BlkioWeight:        r.Blkio.Weight,
	}
	if r.OomKillDisable {
		t := true
		out.OomKillDisable = &t
	}
	for _, w := range r.Blkio.WeightDevice {
		out.BlkioWeightDevice = append(out.BlkioWeightDevice, &blkiodev.WeightDevice{Path: w.Path, Weight: w.Weight})
	}
	out.BlkioDeviceReadBps = throttles(r.Blkio.DeviceReadBps)
	out.BlkioDeviceWriteBps = throttles(r.Blkio.DeviceWriteBps)
	out.BlkioDeviceReadIOps = throttles(r.Blkio.DeviceReadIOps)
	out.BlkioDeviceWriteIOps = throttles(r.Blkio.DeviceWriteIOps)
	for _, d := range r.DeviceRequests {
		out.DeviceRequests = append(out.DeviceRequests, container.DeviceRequest{
			Driver: d.Driver, Count: d.Count, DeviceIDs: d.DeviceIDs,
			Capabilities: d.Capabilities, Options: d.Options,
		})
	}
	return out
}

func throttles(rates []project.BlkioRate) []*blkiodev.ThrottleDevice {
	var out []*blkiodev.ThrottleDevice
	for _, t := range rates {
		out = append(out, &blkiodev.ThrottleDevice{Path: t.Path, Rate: t.Rate})
	}
	return out
}
