package loader

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
)

// ServiceHash is the config hash Docker Compose v5.6 computes for one
// service (pkg/compose/hash.go): the sha256 of the JSON of the service with
// the keys that may change without recreating containers cleared, its
// top-level keys in a pinned order. Containers carry it in
// com.docker.compose.config-hash, so it must match Docker Compose's byte for
// byte for both tools to agree on what is up to date. Older Compose releases
// computed other hashes for the same service: see AcceptedHashes.
func ServiceHash(s types.ServiceConfig) (string, error) {
	data, err := ServiceConfigJSON(s)
	if err != nil {
		return "", err
	}
	return sha(data), nil
}

// ServiceConfigJSON is the JSON that ServiceHash hashes. Containers keep it
// in a label so that a later up can name the fields that changed.
func ServiceConfigJSON(s types.ServiceConfig) ([]byte, error) {
	raw, err := json.Marshal(hashedConfig(s))
	if err != nil {
		return nil, err
	}
	root, err := splitRoot(raw)
	if err != nil {
		return nil, err
	}
	return joinRoot(root), nil
}

// hashedConfig is s with the keys the hash leaves out cleared.
func hashedConfig(s types.ServiceConfig) types.ServiceConfig {
	s.Build = nil
	s.PullPolicy = ""
	s.Scale = nil
	if s.Deploy != nil {
		// s is a copy but Deploy is shared with the project: copy it too.
		deploy := *s.Deploy
		deploy.Replicas = nil
		s.Deploy = &deploy
	}
	s.DependsOn = nil
	s.Profiles = nil
	return s
}

// serviceKeyOrder is the order of the top-level keys of the hashed JSON.
// compose-go v2.15 split ServiceConfig into embedded structs, which changed
// the order encoding/json writes the keys in; Docker Compose v5.6 pins the
// historical order (that of every compose-go before the split) so that
// hashes survive such refactorings, and appends keys missing from this list
// in sorted order. Copied from Docker Compose v5.6.0's serviceHashKeyOrder.
var serviceKeyOrder = []string{
	"profiles", "annotations", "attach", "build", "develop", "blkio_config", "cap_add",
	"cap_drop", "cgroup_parent", "cgroup", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota",
	"cpu_rt_period", "cpu_rt_runtime", "cpus", "cpuset", "cpu_shares", "command", "configs",
	"container_name", "credential_spec", "depends_on", "deploy", "device_cgroup_rules",
	"devices", "dns", "dns_opt", "dns_search", "dockerfile", "domainname", "entrypoint",
	"provider", "environment", "env_file", "expose", "extends", "external_links", "extra_hosts",
	"group_add", "gpus", "hostname", "healthcheck", "image", "init", "ipc", "isolation",
	"labels", "label_file", "links", "logging", "log_driver", "log_opt", "mem_limit", "mem_reservation",
	"memswap_limit", "mem_swappiness", "mac_address", "models", "net", "network_mode",
	"networks", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports",
	"privileged", "pull_policy", "read_only", "restart", "runtime", "scale", "secrets",
	"security_opt", "shm_size", "stdin_open", "stop_grace_period", "stop_signal", "storage_opt",
	"sysctls", "tmpfs", "tty", "ulimits", "use_api_socket", "user", "userns_mode", "uts",
	"volume_driver", "volumes", "volumes_from", "working_dir", "pre_start", "post_start",
	"pre_stop", "pull_refresh_after",
}

var serviceKeyRank = func() map[string]int {
	m := make(map[string]int, len(serviceKeyOrder))
	for i, k := range serviceKeyOrder {
		m[k] = i
	}
	return m
}()

// splitRoot decodes a JSON object into its top-level members, values kept
// byte for byte.
func splitRoot(raw []byte) (map[string]json.RawMessage, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("service JSON: %w", err)
	}
	return root, nil
}

// joinRoot writes root back as a JSON object in the pinned key order.
func joinRoot(root map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(root))
	for k := range root {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, iok := serviceKeyRank[keys[i]]
		rj, jok := serviceKeyRank[keys[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		default:
			return keys[i] < keys[j]
		}
	})
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(root[k])
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// networkHash is Docker Compose's NetworkHash.
func networkHash(n types.NetworkConfig) (string, error) {
	return jsonHash(&n)
}

// volumeHash is Docker Compose's VolumeHash: it defaults the driver first.
func volumeHash(v types.VolumeConfig) (string, error) {
	if v.Driver == "" {
		v.Driver = "local"
	}
	return jsonHash(v)
}

func jsonHash(v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return sha(data), nil
}

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
