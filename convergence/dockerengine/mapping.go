package dockerengine

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// createRequest is the engine's three-part container create body.
type createRequest struct {
	config  *container.Config
	host    *container.HostConfig
	network *network.NetworkingConfig
}

// mapCreateSpec maps a CreateSpec field by field onto the engine's create
// body. It fails only on specs the executor should have resolved.
func mapCreateSpec(cs convergence.CreateSpec) (createRequest, error) {
	s := cs.Spec
	mode, err := networkMode(cs)
	if err != nil {
		return createRequest{}, err
	}
	exposed, bindings, err := mapPorts(s.ExposedPorts, s.Ports)
	if err != nil {
		return createRequest{}, err
	}
	cfg := &container.Config{
		Image:        s.Image,
		Cmd:          s.Cmd,
		Entrypoint:   mapEntrypoint(s.Entrypoint),
		Env:          s.Env,
		Labels:       s.Labels,
		WorkingDir:   s.WorkingDir,
		User:         s.User,
		Hostname:     s.Hostname,
		Domainname:   s.Domainname,
		Tty:          s.Tty,
		OpenStdin:    s.OpenStdin,
		StopSignal:   s.StopSignal,
		StopTimeout:  s.StopTimeout,
		Healthcheck:  mapHealthcheck(s.Healthcheck),
		ExposedPorts: exposed,
		// Deprecated by API 1.44 in favour of the endpoint's address, which
		// still accepts it; 1.41 knows only this one.
		MacAddress: s.Runtime.MacAddress,
	}
	binds, mounts := mapMounts(s.Mounts)
	host := &container.HostConfig{
		Binds:          binds,
		Mounts:         mounts,
		PortBindings:   bindings,
		RestartPolicy:  container.RestartPolicy{Name: container.RestartPolicyMode(s.Restart.Name), MaximumRetryCount: s.Restart.MaxRetries},
		Init:           s.Init,
		CapAdd:         s.CapAdd,
		CapDrop:        s.CapDrop,
		Privileged:     s.Privileged,
		SecurityOpt:    s.SecurityOpt,
		ExtraHosts:     s.ExtraHosts,
		DNS:            s.DNS,
		DNSSearch:      s.DNSSearch,
		DNSOptions:     s.DNSOptions,
		Sysctls:        s.Sysctls,
		LogConfig:      container.LogConfig{Type: s.LogDriver, Config: s.LogOptions},
		ReadonlyRootfs: s.ReadOnly,
		ShmSize:        s.ShmSize,
		PidMode:        container.PidMode(s.PidMode),
		IpcMode:        container.IpcMode(s.IpcMode),
		NetworkMode:    container.NetworkMode(mode),
		GroupAdd:       s.GroupAdd,
		VolumesFrom:    s.VolumesFrom,
		Resources:      mapResources(s),
		Runtime:        s.Runtime.Runtime,
		Isolation:      container.Isolation(s.Runtime.Isolation),
		CgroupnsMode:   container.CgroupnsMode(s.Runtime.CgroupnsMode),
		UsernsMode:     container.UsernsMode(s.Runtime.UsernsMode),
		UTSMode:        container.UTSMode(s.Runtime.UTSMode),
		StorageOpt:     s.Runtime.StorageOpt,
		VolumeDriver:   s.Runtime.VolumeDriver,
		OomScoreAdj:    s.Resources.OomScoreAdj,
		// API 1.43: the loader marks the key, CheckAPI refuses it before.
		Annotations: s.Annotations,
	}
	if s.PidsLimit != 0 {
		limit := s.PidsLimit
		host.PidsLimit = &limit
	}
	req := createRequest{config: cfg, host: host}
	if cs.PrimaryNetwork != "" {
		eps := map[string]*network.EndpointSettings{cs.PrimaryNetwork: endpointSettings(cs.PrimaryEndpoint)}
		// The planner sets further networks only when the API takes them.
		for _, ne := range cs.Networks {
			eps[ne.Network] = endpointSettings(ne.Endpoint)
		}
		req.network = &network.NetworkingConfig{EndpointsConfig: eps}
	}
	return req, nil
}

// networkMode resolves the container's network mode: the executor's override,
// else an explicit engine mode of the spec, else the primary network.
func networkMode(cs convergence.CreateSpec) (string, error) {
	mode := cs.NetworkMode
	if mode == "" {
		switch m := cs.Spec.NetworkMode; {
		case m == "":
		case m == "host", m == "none", m == "bridge", strings.HasPrefix(m, "container:"):
			mode = m
		default:
			return "", fmt.Errorf("network mode %q must be resolved by the executor", m)
		}
	}
	if mode == "" {
		return cs.PrimaryNetwork, nil
	}
	if cs.PrimaryNetwork != "" && mode != cs.PrimaryNetwork {
		return "", fmt.Errorf("network mode %q conflicts with primary network %q", mode, cs.PrimaryNetwork)
	}
	return mode, nil
}

// endpointSettings maps an Endpoint onto the engine's endpoint settings.
func endpointSettings(ep convergence.Endpoint) *network.EndpointSettings {
	out := &network.EndpointSettings{Aliases: ep.Aliases, DriverOpts: ep.DriverOpts, MacAddress: ep.MacAddress,
		Links: ep.Links, GwPriority: ep.GwPriority}
	if ep.IPv4Address != "" || ep.IPv6Address != "" || len(ep.LinkLocalIPs) > 0 {
		out.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: ep.IPv4Address, IPv6Address: ep.IPv6Address, LinkLocalIPs: ep.LinkLocalIPs}
	}
	return out
}

// mapEntrypoint keeps nil (the image's entrypoint) and turns an empty slice
// into [""], the engine's documented "reset the entrypoint" value.
func mapEntrypoint(ep []string) []string {
	if ep != nil && len(ep) == 0 {
		return []string{""}
	}
	return ep
}

// mapHealthcheck converts the nanosecond durations of the spec.
func mapHealthcheck(h *project.Healthcheck) *container.HealthConfig {
	if h == nil {
		return nil
	}
	return &container.HealthConfig{
		Test:        h.Test,
		Interval:    time.Duration(h.Interval),
		Timeout:     time.Duration(h.Timeout),
		StartPeriod: time.Duration(h.StartPeriod),
		// API 1.44: the loader marks the key, CheckAPI refuses it before.
		StartInterval: time.Duration(h.StartInterval),
		Retries:       h.Retries,
	}
}

// mapPorts builds the exposed port set (exposed plus published ports, as the
// engine expects) and the port bindings. A host port of "" or "0" asks the
// engine to assign one; a range "8000-8010" lets it pick within the range.
func mapPorts(exposedPorts []string, ports []project.PortBinding) (nat.PortSet, nat.PortMap, error) {
	if len(exposedPorts) == 0 && len(ports) == 0 {
		return nil, nil, nil
	}
	exposed := make(nat.PortSet, len(exposedPorts)+len(ports))
	for _, p := range exposedPorts {
		proto, port := nat.SplitProtoPort(p)
		np, err := nat.NewPort(proto, port)
		if err != nil {
			return nil, nil, fmt.Errorf("exposed port %q: %w", p, err)
		}
		exposed[np] = struct{}{}
	}
	var bindings nat.PortMap
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		np, err := nat.NewPort(proto, strconv.FormatUint(uint64(p.ContainerPort), 10))
		if err != nil {
			return nil, nil, fmt.Errorf("published port %d/%s: %w", p.ContainerPort, proto, err)
		}
		exposed[np] = struct{}{}
		hostPort := p.HostPort
		if hostPort == "0" {
			hostPort = ""
		}
		if bindings == nil {
			bindings = make(nat.PortMap, len(ports))
		}
		bindings[np] = append(bindings[np], nat.PortBinding{HostIP: p.HostIP, HostPort: hostPort})
	}
	return exposed, bindings, nil
}

// mapMounts splits the spec's mounts into legacy binds and mounts. Binds that
// may create a missing host path must use the legacy "src:dst[:opts]" form:
// only it creates the host directory; a bind-type mount fails instead.
func mapMounts(mounts []project.Mount) (binds []string, out []mount.Mount) {
	for _, m := range mounts {
		switch m.Type {
		case project.MountBind:
			// Only the legacy form relabels for SELinux (the mount API
			// has no such option), as in Docker Compose.
			if (m.CreateHostPath || m.SELinux != "") && !m.NonRecursive {
				binds = append(binds, bindSpec(m))
				continue
			}
			bm := mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
			if m.Propagation != "" || m.NonRecursive {
				bm.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(m.Propagation), NonRecursive: m.NonRecursive}
			}
			out = append(out, bm)
		case project.MountVolume:
			// Source "" is an anonymous volume; an existing anonymous volume's
			// name carries it over to a recreated container.
			vm := mount.Mount{Type: mount.TypeVolume, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
			if m.NoCopy || m.Subpath != "" || len(m.VolumeLabels) > 0 {
				vm.VolumeOptions = &mount.VolumeOptions{NoCopy: m.NoCopy, Subpath: m.Subpath, Labels: m.VolumeLabels}
			}
			out = append(out, vm)
		case project.MountImage:
			im := mount.Mount{Type: mount.TypeImage, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
			if m.Subpath != "" {
				im.ImageOptions = &mount.ImageOptions{Subpath: m.Subpath}
			}
			out = append(out, im)
		case project.MountTmpfs:
			tm := mount.Mount{Type: mount.TypeTmpfs, Target: m.Target, ReadOnly: m.ReadOnly}
			if m.TmpfsSize != 0 || m.TmpfsMode != 0 {
				tm.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: m.TmpfsSize, Mode: os.FileMode(m.TmpfsMode)}
			}
			out = append(out, tm)
		default:
			// Unknown types are passed through for the engine to judge.
			out = append(out, mount.Mount{Type: mount.Type(m.Type), Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
		}
	}
	return binds, out
}

// bindSpec renders a bind in the legacy "src:dst[:ro][,propagation]" form.
func bindSpec(m project.Mount) string {
	var opts []string
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	if m.Propagation != "" {
		opts = append(opts, m.Propagation)
	}
	if m.SELinux != "" {
		opts = append(opts, m.SELinux)
	}
	spec := m.Source + ":" + m.Target
	if len(opts) > 0 {
		spec += ":" + strings.Join(opts, ",")
	}
	return spec
}

// mapUlimits converts ulimits.
func mapUlimits(ulimits []project.Ulimit) []*container.Ulimit {
	var out []*container.Ulimit
	for _, u := range ulimits {
		out = append(out, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return out
}

// mapDevices converts device mappings; permissions default to "rwm".
func mapDevices(devices []project.Device) []container.DeviceMapping {
	var out []container.DeviceMapping
	for _, d := range devices {
		perms := d.CgroupPermissions
		if perms == "" {
			perms = "rwm"
		}
		target := d.PathInContainer
		if target == "" {
			target = d.PathOnHost
		}
		out = append(out, container.DeviceMapping{PathOnHost: d.PathOnHost, PathInContainer: target, CgroupPermissions: perms})
	}
	return out
}
