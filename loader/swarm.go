package loader

import (
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mycompose/mycompose/project"
)

// swarmRefused are service keys Swarm services cannot honour, with why. In
// Swarm mode they are refused with this reason instead of being applied.
var swarmRefused = map[string]string{
	"container_name": "Swarm names each task <stack>_<service>.<slot>.<task id>",
	"privileged":     "Swarm services cannot run privileged containers",
	"devices":        "Swarm services cannot map host devices",
	"network_mode":   "Swarm tasks only join overlay networks",
	"pid":            "Swarm services cannot share a PID namespace",
	"ipc":            "Swarm services cannot share an IPC namespace",
	"volumes_from":   "Swarm tasks cannot mount another container's volumes",
	"shm_size":       "Swarm services cannot size /dev/shm (mount a tmpfs at /dev/shm instead)",
	"security_opt":   "Swarm services do not take security options",
	"domainname":     "Swarm services have no domainname",
	"develop":        "watch syncs into local containers: run `up --watch` without --swarm",
	"platform":       "Swarm places tasks by constraints: use deploy.placement.constraints (node.platform.arch==...)",
}

// swarmSpec is the allow-list in Swarm mode: serviceSpec minus swarmRefused,
// plus the deploy keys, secrets and configs.
var swarmSpec = func() spec {
	sp := maps.Clone(serviceSpec)
	for k := range swarmRefused {
		delete(sp, k)
	}
	res := spec{"cpus": nil, "memory": nil, "pids": nil}
	upd := spec{"parallelism": nil, "delay": nil, "failure_action": nil, "monitor": nil, "max_failure_ratio": nil, "order": nil}
	sp["deploy"] = spec{
		"mode": nil, "replicas": nil, "labels": nil, "endpoint_mode": nil,
		"resources": {"limits": res, "reservations": spec{"cpus": nil, "memory": nil, "pids": nil,
			"generic_resources": {"discrete_resource_spec": {"kind": nil, "value": nil}}}},
		"restart_policy":  {"condition": nil, "delay": nil, "max_attempts": nil, "window": nil},
		"update_config":   upd,
		"rollback_config": upd,
		"placement":       {"constraints": nil, "preferences": {"spread": nil}, "max_replicas_per_node": nil},
	}
	// The API-gated keys of apigate.go are mapped for containers only.
	hc := maps.Clone(serviceSpec["healthcheck"])
	delete(hc, "start_interval")
	sp["healthcheck"] = hc
	vols := maps.Clone(serviceSpec["volumes"])
	delete(vols, "image")
	vols["volume"] = spec{"nocopy": nil}
	sp["volumes"] = vols
	ports := maps.Clone(serviceSpec["ports"])
	delete(ports, "host_ip")
	sp["ports"] = ports
	sp["networks"] = spec{"*": {"aliases": nil, "priority": nil}}
	ref := spec{"source": nil, "target": nil, "uid": nil, "gid": nil, "mode": nil}
	sp["secrets"], sp["configs"] = ref, ref
	return sp
}()

// checkSwarmRefused refuses the keys Swarm cannot honour, naming why.
func (c *converter) checkSwarmRefused(s types.ServiceConfig) {
	keys := make([]string, 0, len(swarmRefused))
	for k := range swarmRefused {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// With an allow-list that allows nothing, every key set is reported.
	set, _ := unsupported(s, spec{"": nil})
	top := map[string]bool{}
	for _, p := range set {
		top[p[0]] = true
	}
	for _, k := range keys {
		if top[k] {
			c.serviceRefuse(s.Name, []string{k}, "key %q cannot be used with --swarm (%s)", k, swarmRefused[k])
		}
	}
	if s.Build != nil && s.Image == "" {
		// Nodes pull what `image:` names: a built image must be pushed
		// to a registry every node reaches, under a name the file gives.
		c.serviceRefuse(s.Name, []string{"build"}, "build needs image: with --swarm (the image is pushed to the registry image: names and every node pulls it from there): add image: REGISTRY/NAME:TAG")
	}
	for i, p := range s.Ports {
		if p.HostIP != "" {
			c.serviceRefuse(s.Name, []string{"ports", fmt.Sprintf("[%d]", i)}, "key \"ports[%d].host_ip\" cannot be used with --swarm (Swarm publishes on every address of the nodes)", i)
		}
	}
	for name, d := range s.DependsOn {
		if d.Condition != "" && d.Condition != project.ConditionStarted {
			c.serviceRefuse(s.Name, []string{"depends_on", name}, "key \"depends_on.%s.condition\" cannot be used with --swarm (Swarm starts services independently and restarts tasks until they succeed)", name)
		}
	}
}

// swarmService maps the deploy section and friends; nil outside Swarm mode.
func (c *converter) swarmService(s types.ServiceConfig, ctr project.ContainerSpec) *project.SwarmService {
	if !c.l.session.opts.Swarm {
		return nil
	}
	c.checkSwarmRefused(s)
	out := &project.SwarmService{Mode: "replicated"}
	for name := range s.DependsOn {
		out.IgnoredDepsOn = append(out.IgnoredDepsOn, name)
	}
	sort.Strings(out.IgnoredDepsOn)
	if len(out.IgnoredDepsOn) > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("service %q: depends_on is not ordered in Swarm mode (Swarm restarts tasks until they succeed)", s.Name))
	}
	out.Limits = project.SwarmResources{NanoCPUs: ctr.NanoCPUs, Memory: ctr.Memory, Pids: ctr.PidsLimit}
	out.Reservations.Memory = ctr.MemoryReservation
	if r := ctr.Restart; r.Name != "" {
		cond := map[string]string{"no": "none", "always": "any", "unless-stopped": "any", "on-failure": "on-failure"}[r.Name]
		out.Restart = &project.SwarmRestartPolicy{Condition: cond}
		if r.MaxRetries > 0 {
			m := uint64(r.MaxRetries)
			out.Restart.MaxAttempts = &m
		}
	}
	for _, p := range s.Ports {
		pub := uint64(0)
		if p.Published != "" {
			v, err := strconv.ParseUint(p.Published, 10, 16)
			if err != nil {
				c.serviceRefuse(s.Name, []string{"ports"}, "published port %q: Swarm publishes single ports, not ranges", p.Published)
			}
			pub = v
		}
		out.Ports = append(out.Ports, project.SwarmPort{Target: p.Target, Published: uint32(pub), Protocol: protocol(p.Protocol), Mode: p.Mode})
	}
	for _, r := range s.Secrets {
		out.Secrets = append(out.Secrets, fileRef(types.FileReferenceConfig(r), "/run/secrets/"))
	}
	for _, r := range s.Configs {
		out.Configs = append(out.Configs, fileRef(types.FileReferenceConfig(r), "/"))
	}
	d := s.Deploy
	if d == nil {
		return out
	}
	if d.Mode != "" {
		out.Mode = d.Mode
	}
	out.Labels = copyMap(d.Labels)
	out.EndpointMode = d.EndpointMode
	out.Constraints = copySlice(d.Placement.Constraints)
	for _, p := range d.Placement.Preferences {
		out.Preferences = append(out.Preferences, p.Spread)
	}
	out.MaxReplicas = d.Placement.MaxReplicas
	if r := d.Resources.Reservations; r != nil {
		out.Reservations.NanoCPUs = int64(r.NanoCPUs * 1e9)
		out.Reservations.Pids = r.Pids
		for _, g := range r.GenericResources {
			if g.DiscreteResourceSpec != nil {
				out.Reservations.Generic = append(out.Reservations.Generic, project.GenericResource{Kind: g.DiscreteResourceSpec.Kind, Value: g.DiscreteResourceSpec.Value})
			}
		}
	}
	if r := d.RestartPolicy; r != nil {
		out.Restart = &project.SwarmRestartPolicy{Condition: r.Condition, MaxAttempts: r.MaxAttempts, Delay: nanos(r.Delay), Window: nanos(r.Window)}
	}
	out.Update = updateConfig(d.UpdateConfig)
	out.Rollback = updateConfig(d.RollbackConfig)
	return out
}

func nanos(d *types.Duration) *int64 {
	if d == nil {
		return nil
	}
	v := int64(time.Duration(*d))
	return &v
}

func fileRef(r types.FileReferenceConfig, dir string) project.SwarmFileRef {
	out := project.SwarmFileRef{Key: r.Source, Target: r.Target, UID: r.UID, GID: r.GID}
	if out.Target == "" {
		out.Target = dir + r.Source
	} else if dir == "/run/secrets/" && !strings.HasPrefix(out.Target, "/") {
		out.Target = dir + out.Target
	}
	if r.Mode != nil {
		out.Mode = uint32(*r.Mode)
	}
	return out
}

func updateConfig(u *types.UpdateConfig) *project.SwarmUpdateConfig {
	if u == nil {
		return nil
	}
	out := &project.SwarmUpdateConfig{Delay: int64(u.Delay), FailureAction: u.FailureAction, Monitor: int64(u.Monitor), MaxFailureRatio: u.MaxFailureRatio, Order: u.Order}
	if u.Parallelism != nil {
		out.Parallelism = *u.Parallelism
	} else {
		out.Parallelism = 1
	}
	return out
}

// swarmProject collects the secrets and configs the enabled services use.
func (c *converter) swarmProject(p *project.Project) *project.SwarmProject {
	if !c.l.session.opts.Swarm {
		return nil
	}
	out := &project.SwarmProject{}
	usedS, usedC := map[string]bool{}, map[string]bool{}
	for _, s := range p.Services {
		for _, r := range s.Swarm.Secrets {
			usedS[r.Key] = true
		}
		for _, r := range s.Swarm.Configs {
			usedC[r.Key] = true
		}
	}
	for _, key := range sortedKeys(usedS) {
		def, ok := c.cp.Secrets[key]
		if !ok {
			c.refuse([]string{"secrets"}, "secret %q is used but not declared", key)
			continue
		}
		out.Secrets = append(out.Secrets, c.swarmObject("secrets", key, types.FileObjectConfig(def)))
	}
	for _, key := range sortedKeys(usedC) {
		def, ok := c.cp.Configs[key]
		if !ok {
			c.refuse([]string{"configs"}, "config %q is used but not declared", key)
			continue
		}
		out.Configs = append(out.Configs, c.swarmObject("configs", key, types.FileObjectConfig(def)))
	}
	return out
}

func (c *converter) swarmObject(section, key string, def types.FileObjectConfig) project.SwarmObject {
	o := project.SwarmObject{Key: key, Name: def.Name, External: bool(def.External), Labels: copyMap(def.Labels)}
	if o.Name == "" {
		o.Name = key
		if !o.External {
			o.Name = project.ScopedName(c.cp.Name, key)
		}
	}
	if o.External {
		return o
	}
	switch {
	case def.File != "":
		data, err := readSourceFile(def.File)
		if err != nil {
			c.refuse([]string{section, key}, "%s %q: %v", strings.TrimSuffix(section, "s"), key, err)
		}
		o.Data = data
	case def.Environment != "":
		v, ok := c.cp.Environment[def.Environment]
		if !ok {
			c.refuse([]string{section, key}, "%s %q: environment variable %q is not set", strings.TrimSuffix(section, "s"), key, def.Environment)
		}
		o.Data = []byte(v)
	default:
		o.Data = []byte(def.Content)
	}
	if def.Driver != "" || def.TemplateDriver != "" {
		c.refuse([]string{section, key}, "%s %q: driver and template_driver are not supported by mycompose yet", strings.TrimSuffix(section, "s"), key)
	}
	return o
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
