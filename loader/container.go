package loader

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mycompose/mycompose/project"
)

// container builds the replica template of service s, field by field as
// Docker Compose's getCreateConfigs does.
func (c *converter) container(s types.ServiceConfig) project.ContainerSpec {
	// With build: the build refusal already says it all.
	if s.Image == "" && s.Build == nil && s.Provider == nil {
		c.serviceRefuse(s.Name, nil, "has neither an image nor a build context specified")
	}
	image := s.Image
	if image == "" && s.Build != nil {
		image = defaultImageName(c.cp.Name, s.Name, c.separator())
	}
	spec := project.ContainerSpec{
		Image:        image,
		Platform:     s.Platform,
		Cmd:          command(s.Command),
		Entrypoint:   command(s.Entrypoint),
		Env:          environment(s.Environment),
		Labels:       copyMap(s.Labels),
		WorkingDir:   s.WorkingDir,
		User:         s.User,
		Hostname:     s.Hostname,
		Domainname:   s.DomainName,
		Tty:          s.Tty,
		OpenStdin:    s.StdinOpen,
		StopSignal:   s.StopSignal,
		StopTimeout:  seconds(s.StopGracePeriod),
		Healthcheck:  healthcheck(s.HealthCheck),
		ExposedPorts: c.exposedPorts(s),
		Ports:        ports(s.Ports),
		Mounts:       c.mounts(s),
		Restart:      c.restart(s),
		Init:         s.Init,
		CapAdd:       copySlice(s.CapAdd),
		CapDrop:      copySlice(s.CapDrop),
		Privileged:   s.Privileged,
		SecurityOpt:  copySlice(s.SecurityOpt),
		ExtraHosts:   extraHosts(s.ExtraHosts),
		DNS:          copySlice(s.DNS),
		DNSSearch:    copySlice(s.DNSSearch),
		DNSOptions:   copySlice(s.DNSOpts),
		Ulimits:      ulimits(s.Ulimits),
		Sysctls:      copyMap(s.Sysctls),
		ReadOnly:     s.ReadOnly,
		ShmSize:      int64(s.ShmSize),
		PidMode:      c.namespace(s, "pid", s.Pid),
		IpcMode:      c.namespace(s, "ipc", s.Ipc),
		NetworkMode:  c.networkMode(s),
		Devices:      devices(s.Devices),
		GroupAdd:     copySlice(s.GroupAdd),
		VolumesFrom:  copySlice(s.VolumesFrom),
		Annotations:  copyMap(s.Annotations),
	}
	spec.LogDriver, spec.LogOptions = logging(s)
	resources(s, &spec)
	spec.Resources = moreResources(s)
	spec.Runtime = c.runtimeOptions(s)
	if r, ok := deployRestart(s); ok {
		spec.Restart = r
	}
	return spec
}

// command keeps nil (use the image default) apart from an explicit empty
// list (clear the image default).
func command(cmd types.ShellCommand) []string {
	if cmd == nil {
		return nil
	}
	return append([]string{}, cmd...)
}

// environment renders the resolved environment as sorted KEY=VALUE. A
// variable listed without a value and absent from the environment is
// dropped, as Docker Compose does.
func environment(env types.MappingWithEquals) []string {
	var out []string
	for k, v := range env {
		if v != nil {
			out = append(out, k+"="+*v)
		}
	}
	sort.Strings(out)
	return out
}

// seconds truncates like Docker Compose's ToSeconds.
func seconds(d *types.Duration) *int {
	if d == nil {
		return nil
	}
	s := int(time.Duration(*d).Seconds())
	return &s
}

func healthcheck(h *types.HealthCheckConfig) *project.Healthcheck {
	if h == nil {
		return nil
	}
	out := &project.Healthcheck{Test: copySlice(h.Test)}
	if h.Disable {
		out.Test = []string{"NONE"}
	}
	if h.Interval != nil {
		out.Interval = int64(*h.Interval)
	}
	if h.Timeout != nil {
		out.Timeout = int64(*h.Timeout)
	}
	if h.StartPeriod != nil {
		out.StartPeriod = int64(*h.StartPeriod)
	}
	if h.StartInterval != nil {
		out.StartInterval = int64(*h.StartInterval)
	}
	if h.Retries != nil {
		out.Retries = int(*h.Retries)
	}
	return out
}

// restart parses no, always, unless-stopped and on-failure[:N].
func (c *converter) restart(s types.ServiceConfig) project.RestartPolicy {
	name, retries, hasMax := strings.Cut(s.Restart, ":")
	switch name {
	case "", types.RestartPolicyNo, types.RestartPolicyAlways, types.RestartPolicyUnlessStopped:
		if !hasMax {
			return project.RestartPolicy{Name: name}
		}
	case types.RestartPolicyOnFailure:
		if !hasMax {
			return project.RestartPolicy{Name: name}
		}
		if n, err := strconv.Atoi(retries); err == nil && n >= 0 {
			return project.RestartPolicy{Name: name, MaxRetries: n}
		}
	}
	c.serviceRefuse(s.Name, []string{"restart"},
		"invalid restart policy %q: use no, always, unless-stopped or on-failure[:max-retries]", s.Restart)
	return project.RestartPolicy{}
}

// extraHosts renders "host:ip", the form Docker Engine 20.10 accepts.
func extraHosts(h types.HostsList) []string {
	if len(h) == 0 {
		return nil
	}
	out := h.AsList(":")
	sort.Strings(out)
	return out
}

// ulimits maps the single-value form to soft = hard.
func ulimits(u map[string]*types.UlimitsConfig) []project.Ulimit {
	var out []project.Ulimit
	for name, l := range u {
		if l == nil {
			continue
		}
		soft, hard := int64(l.Soft), int64(l.Hard)
		if l.Single != 0 {
			soft, hard = int64(l.Single), int64(l.Single)
		}
		out = append(out, project.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// logging prefers `logging:` over the legacy log_driver/log_opt (which
// compose-go v2.9.1's schema rejects anyway; kept for when it accepts them).
func logging(s types.ServiceConfig) (string, map[string]string) {
	if s.Logging != nil {
		return s.Logging.Driver, copyMap(s.Logging.Options)
	}
	return s.LogDriver, copyMap(s.LogOpt)
}

// namespace refuses pid/ipc "service:x", which needs a resolution mycompose
// only implements for network_mode.
func (c *converter) namespace(s types.ServiceConfig, key, mode string) string {
	if strings.HasPrefix(mode, types.ServicePrefix) {
		c.serviceRefuse(s.Name, []string{key}, "%s %q is not supported by mycompose yet (use container:<name>)", key, mode)
	}
	return mode
}

// networkMode accepts host, none, bridge, service:<known service> and
// container:<name>.
func (c *converter) networkMode(s types.ServiceConfig) string {
	mode := s.NetworkMode
	switch {
	case mode == "", mode == "host", mode == "none", mode == "bridge",
		strings.HasPrefix(mode, types.ContainerPrefix):
	case strings.HasPrefix(mode, types.ServicePrefix):
		target := strings.TrimPrefix(mode, types.ServicePrefix)
		if _, ok := c.cp.Services[target]; !ok {
			c.serviceRefuse(s.Name, []string{"network_mode"}, "network_mode %q refers to unknown service %q", mode, target)
		}
	default:
		c.serviceRefuse(s.Name, []string{"network_mode"},
			"network_mode %q is not supported by mycompose yet (use host, none, bridge, service:<name> or container:<name>)", mode)
	}
	return mode
}

func devices(d []types.DeviceMapping) []project.Device {
	var out []project.Device
	for _, m := range d {
		out = append(out, project.Device{PathOnHost: m.Source, PathInContainer: m.Target, CgroupPermissions: m.Permissions})
	}
	return out
}

// resources applies mem_limit, mem_reservation, cpus and pids_limit, then
// deploy.resources over them, as Docker Compose's setLimits and
// setReservations do (float32 arithmetic included, for identical NanoCPUs).
func resources(s types.ServiceConfig, spec *project.ContainerSpec) {
	spec.Memory = int64(s.MemLimit)
	spec.MemoryReservation = int64(s.MemReservation)
	spec.NanoCPUs = int64(s.CPUS * 1e9)
	spec.PidsLimit = s.PidsLimit
	if s.Deploy == nil {
		return
	}
	if l := s.Deploy.Resources.Limits; l != nil {
		if l.MemoryBytes != 0 {
			spec.Memory = int64(l.MemoryBytes)
		}
		if l.NanoCPUs != 0 {
			spec.NanoCPUs = int64(l.NanoCPUs * 1e9)
		}
		if l.Pids != 0 {
			spec.PidsLimit = l.Pids
		}
	}
	if r := s.Deploy.Resources.Reservations; r != nil && r.MemoryBytes != 0 {
		spec.MemoryReservation = int64(r.MemoryBytes)
	}
}

func copySlice(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

func copyMap[M ~map[string]string](m M) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
