package loader

import (
	"fmt"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mycompose/mycompose/project"
)

// Engine API versions from which the engine honours a key. The loader maps
// these keys and marks them on the service (project.Service.Requires); the
// command decides with the API version negotiated with the engine
// (convergence.CheckAPI), so the same project works on a new engine and is
// refused, naming the key, on an old one.
const (
	apiStartInterval = "1.44" // HealthConfig.StartInterval
	apiEndpointMAC   = "1.44" // EndpointSettings.MacAddress at create/connect
	apiVolumeSubpath = "1.45" // VolumeOptions.Subpath
	apiImageMount    = "1.47" // mount type "image"
	apiAnnotations   = "1.43" // HostConfig.Annotations
	apiGwPriority    = "1.48" // EndpointSettings.GwPriority
	apiEnableIPv4    = "1.48" // NetworkCreate.EnableIPv4
	apiIfname        = "1.49" // endpoint driver option com.docker.network.endpoint.ifname
)

// requirements lists the API-gated keys service s sets, each located in
// the compose files when it can be.
func (c *converter) requirements(s types.ServiceConfig) []project.APIRequirement {
	var out []project.APIRequirement
	add := func(path []string, key, api string) {
		out = append(out, project.APIRequirement{Key: key, API: api, Where: c.locate(append([]string{"services", s.Name}, path...))})
	}
	if len(s.Annotations) > 0 {
		add([]string{"annotations"}, "annotations", apiAnnotations)
	}
	if h := s.HealthCheck; h != nil && h.StartInterval != nil && !h.Disable {
		path := []string{"healthcheck", "start_interval"}
		add(path, keyPath(path), apiStartInterval)
	}
	keys := make([]string, 0, len(s.Networks))
	for k := range s.Networks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := s.Networks[k]
		if n == nil {
			continue
		}
		for _, g := range []struct {
			set      bool
			key, api string
		}{{n.MacAddress != "", "mac_address", apiEndpointMAC}, {n.GatewayPriority != 0, "gw_priority", apiGwPriority},
			{n.InterfaceName != "", "interface_name", apiIfname}} {
			if g.set {
				path := []string{"networks", k, g.key}
				add(path, keyPath(path), g.api)
			}
		}
	}
	// enable_ipv4: false is a top-level network key; every service on the
	// network needs it. true is what every engine does anyway.
	for _, k := range s.NetworksByPriority() {
		if n, ok := c.cp.Networks[k]; ok && n.EnableIPv4 != nil && !*n.EnableIPv4 && !bool(n.External) {
			path := []string{"networks", k, "enable_ipv4"}
			out = append(out, project.APIRequirement{Key: keyPath(path), API: apiEnableIPv4, Where: c.locate(path)})
		}
	}
	for i, v := range s.Volumes {
		switch {
		case v.Type == types.VolumeTypeImage:
			add([]string{"volumes", index(i), "type"}, fmt.Sprintf("volumes[%d].type: image", i), apiImageMount)
		case v.Type == types.VolumeTypeVolume && v.Volume != nil && v.Volume.Subpath != "":
			path := []string{"volumes", index(i), "volume", "subpath"}
			add(path, keyPath(path), apiVolumeSubpath)
		}
	}
	return out
}

// locate returns "file:line" of path in the compose files, or "".
func (c *converter) locate(path []string) string {
	if c.pos == nil {
		c.pos = newPositions(c.cp.ComposeFiles)
	}
	if file, line, ok := c.pos.find(path, len(path)); ok {
		return fmt.Sprintf("%s:%d", c.l.session.display(file), line)
	}
	return ""
}
