package project

// Resources are the cgroup knobs of a container beyond the memory, CPU and
// pids limits that ContainerSpec carries directly. Zero values leave the
// engine's defaults.
type Resources struct {
	CPUShares          int64
	CPUQuota           int64
	CPUPeriod          int64
	CPURealtimeRuntime int64
	CPURealtimePeriod  int64
	CpusetCpus         string
	// CPUCount and CPUPercent are honoured by Windows engines only; Docker
	// Compose passes them on all platforms and so do we.
	CPUCount   int64
	CPUPercent int64
	// MemorySwappiness is nil for the engine's default (0 is a valid value
	// but Docker Compose treats mem_swappiness: 0 as unset; we follow it).
	MemorySwappiness  *int64
	MemorySwap        int64 // bytes; -1 unlimited
	OomKillDisable    bool
	OomScoreAdj       int
	CgroupParent      string
	DeviceCgroupRules []string
	Blkio             Blkio
	// DeviceRequests come from gpus: and deploy.resources.reservations.devices.
	DeviceRequests []DeviceRequest
}

// Blkio is the block-IO weight and throttling of blkio_config.
type Blkio struct {
	Weight          uint16
	WeightDevice    []BlkioWeight
	DeviceReadBps   []BlkioRate
	DeviceWriteBps  []BlkioRate
	DeviceReadIOps  []BlkioRate
	DeviceWriteIOps []BlkioRate
}

// BlkioWeight is a per-device weight.
type BlkioWeight struct {
	Path   string
	Weight uint16
}

// BlkioRate is a per-device throttle (bytes or operations per second).
type BlkioRate struct {
	Path string
	Rate uint64
}

// DeviceRequest asks the engine for devices through a driver (GPUs, CDI).
type DeviceRequest struct {
	Driver       string
	Count        int // -1: all
	DeviceIDs    []string
	Capabilities [][]string
	Options      map[string]string
}

// RuntimeOptions are the container's namespace, runtime and storage
// choices that are neither networking nor resources.
type RuntimeOptions struct {
	Runtime      string // OCI runtime name (runc, runsc, ...)
	Isolation    string // "default" on Linux; process/hyperv are Windows only
	CgroupnsMode string // cgroup: host | private
	UsernsMode   string
	UTSMode      string
	StorageOpt   map[string]string
	VolumeDriver string
	// MacAddress is the service-level mac_address, applied to the primary
	// network's endpoint.
	MacAddress string
}
