package dockerengine

import (
	"os"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	msw "github.com/mycompose/mycompose/convergence/swarm"
	"github.com/mycompose/mycompose/project"
)

// serviceSpec maps a desired service onto the engine's service spec, field
// by field as docker stack deploy's convertService does.
func serviceSpec(s msw.ServiceSpec) swarm.ServiceSpec {
	svc, c, sw := s.Service, s.Service.Container, s.Service.Swarm
	cs := &swarm.ContainerSpec{
		Image: c.Image, Labels: s.ContainerLabels, Command: c.Entrypoint, Args: c.Cmd,
		Hostname: c.Hostname, Env: c.Env, Dir: c.WorkingDir, User: c.User, Groups: c.GroupAdd,
		Init: c.Init, StopSignal: c.StopSignal, TTY: c.Tty, OpenStdin: c.OpenStdin,
		ReadOnly: c.ReadOnly, Sysctls: c.Sysctls, CapabilityAdd: c.CapAdd, CapabilityDrop: c.CapDrop,
	}
	if c.StopTimeout != nil {
		d := time.Duration(*c.StopTimeout) * time.Second
		cs.StopGracePeriod = &d
	}
	if h := c.Healthcheck; h != nil {
		cs.Healthcheck = &container.HealthConfig{Test: h.Test, Interval: time.Duration(h.Interval),
			Timeout: time.Duration(h.Timeout), StartPeriod: time.Duration(h.StartPeriod), Retries: h.Retries}
	}
	for _, h := range c.ExtraHosts {
		if name, ip, ok := strings.Cut(h, ":"); ok {
			cs.Hosts = append(cs.Hosts, ip+" "+name)
		}
	}
	if len(c.DNS)+len(c.DNSSearch)+len(c.DNSOptions) > 0 {
		cs.DNSConfig = &swarm.DNSConfig{Nameservers: c.DNS, Search: c.DNSSearch, Options: c.DNSOptions}
	}
	for _, u := range c.Ulimits {
		cs.Ulimits = append(cs.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for _, m := range c.Mounts {
		cs.Mounts = append(cs.Mounts, swarmMount(s.Stack, m))
	}
	for _, r := range s.Secrets {
		f := fileTarget(r.Ref)
		f.Name = strings.TrimPrefix(f.Name, "/run/secrets/")
		cs.Secrets = append(cs.Secrets, &swarm.SecretReference{SecretName: r.Name, File: f})
	}
	for _, r := range s.Configs {
		f := fileTarget(r.Ref)
		cs.Configs = append(cs.Configs, &swarm.ConfigReference{ConfigName: r.Name,
			File: &swarm.ConfigReferenceFileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode}})
	}
	tt := swarm.TaskSpec{
		ContainerSpec: cs,
		Resources: &swarm.ResourceRequirements{
			Limits: &swarm.Limit{NanoCPUs: sw.Limits.NanoCPUs, MemoryBytes: sw.Limits.Memory, Pids: sw.Limits.Pids},
			Reservations: &swarm.Resources{NanoCPUs: sw.Reservations.NanoCPUs, MemoryBytes: sw.Reservations.Memory,
				GenericResources: genericResources(sw.Reservations.Generic)},
		},
		Placement: &swarm.Placement{Constraints: sw.Constraints, MaxReplicas: sw.MaxReplicas},
	}
	for _, p := range sw.Preferences {
		tt.Placement.Preferences = append(tt.Placement.Preferences, swarm.PlacementPreference{Spread: &swarm.SpreadOver{SpreadDescriptor: p}})
	}
	if r := sw.Restart; r != nil {
		tt.RestartPolicy = &swarm.RestartPolicy{Condition: swarm.RestartPolicyCondition(r.Condition), MaxAttempts: r.MaxAttempts}
		if r.Delay != nil {
			d := time.Duration(*r.Delay)
			tt.RestartPolicy.Delay = &d
		}
		if r.Window != nil {
			d := time.Duration(*r.Window)
			tt.RestartPolicy.Window = &d
		}
	}
	if c.LogDriver != "" {
		tt.LogDriver = &swarm.Driver{Name: c.LogDriver, Options: c.LogOptions}
	}
	for _, n := range s.Networks {
		tt.Networks = append(tt.Networks, swarm.NetworkAttachmentConfig{Target: n.Name, Aliases: n.Aliases})
	}
	spec := swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: s.Name, Labels: s.Labels},
		TaskTemplate: tt,
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionMode(sw.EndpointMode)},
	}
	if spec.EndpointSpec.Mode == "" {
		spec.EndpointSpec.Mode = swarm.ResolutionModeVIP
	}
	for _, p := range sw.Ports {
		mode := swarm.PortConfigPublishModeIngress
		if p.Mode == "host" {
			mode = swarm.PortConfigPublishModeHost
		}
		spec.EndpointSpec.Ports = append(spec.EndpointSpec.Ports, swarm.PortConfig{
			Protocol: swarm.PortConfigProtocol(p.Protocol), TargetPort: p.Target, PublishedPort: p.Published, PublishMode: mode})
	}
	if s.Global {
		spec.Mode.Global = &swarm.GlobalService{}
	} else {
		r := uint64(max(svc.Replicas, 0))
		spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &r}
	}
	spec.UpdateConfig = updateConfig(sw.Update)
	spec.RollbackConfig = updateConfig(sw.Rollback)
	return spec
}

func updateConfig(u *project.SwarmUpdateConfig) *swarm.UpdateConfig {
	if u == nil {
		return nil
	}
	return &swarm.UpdateConfig{Parallelism: u.Parallelism, Delay: time.Duration(u.Delay), FailureAction: u.FailureAction,
		Monitor: time.Duration(u.Monitor), MaxFailureRatio: u.MaxFailureRatio, Order: u.Order}
}

func fileTarget(r project.SwarmFileRef) *swarm.SecretReferenceFileTarget {
	mode := os.FileMode(0o444)
	if r.Mode != 0 {
		mode = os.FileMode(r.Mode)
	}
	uid, gid := r.UID, r.GID
	if uid == "" {
		uid = "0"
	}
	if gid == "" {
		gid = "0"
	}
	return &swarm.SecretReferenceFileTarget{Name: r.Target, UID: uid, GID: gid, Mode: mode}
}

func swarmMount(stack string, m project.Mount) mount.Mount {
	out := mount.Mount{Type: mount.Type(m.Type), Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	switch m.Type {
	case project.MountVolume:
		out.VolumeOptions = &mount.VolumeOptions{NoCopy: m.NoCopy, Labels: map[string]string{project.StackNamespaceLabel: stack}}
	case project.MountBind:
		if m.Propagation != "" {
			out.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(m.Propagation)}
		}
	case project.MountTmpfs:
		out.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: m.TmpfsSize, Mode: os.FileMode(m.TmpfsMode)}
	}
	return out
}

// genericResources maps generic_resources onto discrete resource specs.
func genericResources(in []project.GenericResource) []swarm.GenericResource {
	var out []swarm.GenericResource
	for _, g := range in {
		out = append(out, swarm.GenericResource{DiscreteResourceSpec: &swarm.DiscreteGenericResource{Kind: g.Kind, Value: g.Value}})
	}
	return out
}
