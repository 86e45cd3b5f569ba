package loader

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"
)

// spec lists the keys of a compose object that mycompose implements. A nil
// spec accepts anything below its key; the key "*" stands for names the user
// chooses (networks, depends_on targets). For a list, the spec applies to
// each element.
//
// The check runs on the JSON of compose-go's model after loading, so every
// syntax (short or long form, extends, include, overrides) is covered, and a
// key compose-go learns in a future version is refused until we map it.
type spec map[string]spec

// serviceSpec is the allow-list of service keys; everything else is refused.
var serviceSpec = spec{
	"image": nil, "command": nil, "entrypoint": nil, "environment": nil,
	"env_file": nil, "labels": nil, "label_file": nil, "working_dir": nil,
	"user": nil, "hostname": nil, "domainname": nil, "tty": nil,
	"stdin_open": nil, "stop_signal": nil, "stop_grace_period": nil,
	"healthcheck": {
		"test": nil, "interval": nil, "timeout": nil, "retries": nil,
		"start_period": nil, "disable": nil,
		"start_interval": nil, // API 1.44, see apigate.go
	},
	"expose": nil,
	// mode, name and app_protocol have no effect outside Swarm, in Docker
	// Compose as here.
	"ports": {
		"target": nil, "published": nil, "protocol": nil, "host_ip": nil,
		"mode": nil, "name": nil, "app_protocol": nil,
	},
	"volumes": {
		"type": nil, "source": nil, "target": nil, "read_only": nil,
		"bind": {"propagation": nil, "create_host_path": nil, "selinux": nil, "recursive": nil},
		// consistency has no effect on Linux, in Docker Compose as here.
		"consistency": nil,
		"volume":      {"nocopy": nil, "subpath": nil, "labels": nil}, // subpath: API 1.45
		"image":       {"subpath": nil},                               // type image: API 1.47
		"tmpfs":       {"size": nil, "mode": nil},
	},
	"tmpfs": nil, "restart": nil, "init": nil, "cap_add": nil, "cap_drop": nil,
	"privileged": nil, "security_opt": nil, "extra_hosts": nil, "dns": nil,
	"dns_search": nil, "dns_opt": nil, "ulimits": nil, "sysctls": nil,
	"logging":    {"driver": nil, "options": nil},
	"log_driver": nil, "log_opt": nil, "container_name": nil,
	"read_only": nil, "shm_size": nil, "pid": nil, "ipc": nil,
	"network_mode": nil,
	"networks": {"*": {
		"aliases": nil, "ipv4_address": nil, "ipv6_address": nil, "priority": nil,
		"link_local_ips": nil, "driver_opts": nil,
		"mac_address": nil,                        // API 1.44
		"gw_priority": nil, "interface_name": nil, // API 1.48, 1.49
	}},
	"annotations": nil, // API 1.43
	"links":       nil, "external_links": nil, "use_api_socket": nil,
	"post_start": hookSpec, "pre_stop": hookSpec,
	"provider":  {"type": nil, "options": nil},
	"models":    {"*": {"endpoint_var": nil, "model_var": nil}},
	"devices":   {"source": nil, "target": nil, "permissions": nil},
	"group_add": nil, "mem_limit": nil, "mem_reservation": nil, "cpus": nil,
	"pids_limit": nil,
	"deploy": {
		"replicas": nil,
		"resources": {
			"limits": {"cpus": nil, "memory": nil, "pids": nil},
			"reservations": {"memory": nil, "cpus": nil, "devices": nil,
				// Only a Swarm reserves them; --dry-run lists them as such.
				"generic_resources": {"discrete_resource_spec": {"kind": nil, "value": nil}}},
		},
		// Only a Swarm applies these; --dry-run lists them as such.
		"mode": nil, "endpoint_mode": nil, "labels": nil, "update_config": nil,
		"rollback_config": nil, "placement": nil, "restart_policy": nil,
	},
	"cpu_shares": nil, "cpu_quota": nil, "cpu_period": nil, "cpu_rt_runtime": nil,
	"cpu_rt_period": nil, "cpu_count": nil, "cpu_percent": nil, "cpuset": nil,
	"mem_swappiness": nil, "memswap_limit": nil, "oom_kill_disable": nil,
	"oom_score_adj": nil, "blkio_config": nil, "device_cgroup_rules": nil,
	"cgroup": nil, "cgroup_parent": nil, "userns_mode": nil, "uts": nil,
	"storage_opt": nil, "runtime": nil, "isolation": nil, "volume_driver": nil,
	"gpus": nil, "mac_address": nil, "attach": nil,
	"volumes_from": nil,
	"secrets":      {"source": nil, "target": nil, "uid": nil, "gid": nil, "mode": nil},
	"configs":      {"source": nil, "target": nil, "uid": nil, "gid": nil, "mode": nil},
	"depends_on":   {"*": {"condition": nil, "restart": nil, "required": nil}},
	"scale":        nil, "profiles": nil, "pull_policy": nil, "pull_refresh_after": nil, "platform": nil,
	"build": {
		"context": nil, "dockerfile": nil, "dockerfile_inline": nil, "args": nil,
		"target": nil, "labels": nil, "no_cache": nil, "pull": nil,
		"tags": nil, "platforms": nil,
		// uid, gid and mode: accepted with a warning, see buildSecrets.
		"secrets": {"source": nil, "target": nil, "uid": nil, "gid": nil, "mode": nil},
		"ssh":     nil, "cache_from": nil, "cache_to": nil, "additional_contexts": nil,
		"network": nil, "shm_size": nil, "extra_hosts": nil, "isolation": nil,
		"privileged": nil, "entitlements": nil, "ulimits": nil, "no_cache_filter": nil,
		// Attestations: the engine's image store must keep them, see
		// dockerengine's BuildImage.
		"provenance": nil, "sbom": nil,
	},
	"develop": developSpec,
}

// A pre_start hook is a full container spec, with the service's keys,
// plus per_replica.
func init() {
	pre := maps.Clone(serviceSpec)
	pre["per_replica"] = nil
	serviceSpec["pre_start"] = pre
}

// hookSpec is a post_start or pre_stop hook: a command exec'd in the
// container.
var hookSpec = spec{"command": nil, "user": nil, "privileged": nil, "working_dir": nil, "environment": nil}

// networkSpec is the allow-list of top-level network keys.
var networkSpec = spec{
	"name": nil, "driver": nil, "driver_opts": nil, "external": nil,
	"internal": nil, "attachable": nil, "labels": nil, "enable_ipv6": nil,
	"enable_ipv4": nil, // API 1.48
	"ipam": {
		"driver": nil, "options": nil,
		"config": {"subnet": nil, "gateway": nil, "ip_range": nil, "aux_addresses": nil},
	},
}

// keyHints explain some refusals beyond "not supported yet".
var keyHints = map[string]string{}

// unsupported returns the paths of the keys set in the JSON form of v that
// sp does not allow, sorted.
func unsupported(v any, sp spec) ([][]string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	var out [][]string
	walk(obj, sp, nil, &out)
	sort.Slice(out, func(i, j int) bool { return keyPath(out[i]) < keyPath(out[j]) })
	return out, nil
}

func walk(v any, sp spec, path []string, out *[][]string) {
	if sp == nil {
		return
	}
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			walk(e, sp, appendPath(path, fmt.Sprintf("[%d]", i)), out)
		}
	case map[string]any:
		for k, e := range t {
			if isEmpty(e) {
				continue
			}
			sub, ok := sp[k]
			if !ok {
				sub, ok = sp["*"]
			}
			if !ok {
				*out = append(*out, appendPath(path, k))
				continue
			}
			walk(e, sub, appendPath(path, k), out)
		}
	}
}

// isEmpty reports values that mean "not set": compose-go marshals some
// struct fields (deploy.placement, deploy.resources) as {} even when unset.
// A null inside a map is a set key ({"models": {"m": null}}).
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range t {
			if e == nil || !isEmpty(e) {
				return false
			}
		}
		return true
	case []any:
		return len(t) == 0
	}
	return false
}

func appendPath(path []string, seg string) []string {
	return append(append([]string(nil), path...), seg)
}

// keyPath renders a path as compose users write it: deploy.placement,
// volumes[1].bind.selinux.
func keyPath(path []string) string {
	var b strings.Builder
	for i, seg := range path {
		if i > 0 && !strings.HasPrefix(seg, "[") {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// keyRefusal is the message for an unsupported key.
func keyRefusal(owner, section string, path []string) string {
	key := keyPath(path)
	if reason, ok := underKey(refusedForGood, section+".*."+stripIndexes(path)); ok {
		return fmt.Sprintf("%s: key %q cannot be used: %s", owner, key, reason)
	}
	msg := fmt.Sprintf("%s: key %q is not supported by mycompose yet", owner, key)
	if hint, ok := keyHints[stripIndexes(path)]; ok {
		msg += " (" + hint + ")"
	}
	return msg
}

func stripIndexes(path []string) string {
	var segs []string
	for _, s := range path {
		if !strings.HasPrefix(s, "[") {
			segs = append(segs, s)
		}
	}
	return strings.Join(segs, ".")
}
