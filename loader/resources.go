package loader

import (
	"fmt"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mycompose/mycompose/project"
)

// attachments lists the networks of s, primary first: priority descending
// then key, compose-go's NetworksByPriority order. compose-go's
// normalization already added the implicit `default` network.
func (c *converter) attachments(s types.ServiceConfig) []project.NetworkAttachment {
	if s.NetworkMode != "" {
		return nil
	}
	var out []project.NetworkAttachment
	for _, key := range s.NetworksByPriority() {
		c.usedNetworks[key] = true
		a := project.NetworkAttachment{Key: key, Name: c.networkName(key)}
		if cfg := s.Networks[key]; cfg != nil {
			if len(cfg.Aliases) > 0 {
				a.Aliases = append([]string{}, cfg.Aliases...)
				sort.Strings(a.Aliases)
			}
			a.IPv4Address = cfg.Ipv4Address
			a.IPv6Address = cfg.Ipv6Address
			a.Priority = cfg.Priority
			a.LinkLocalIPs = copySlice(cfg.LinkLocalIPs)
			a.DriverOpts = copyMap(cfg.DriverOpts)
			a.MacAddress = cfg.MacAddress
			a.GwPriority = cfg.GatewayPriority
			a.InterfaceName = cfg.InterfaceName
		}
		out = append(out, a)
	}
	return out
}

func (c *converter) networkName(key string) string {
	if n, ok := c.cp.Networks[key]; ok && n.Name != "" {
		return n.Name
	}
	return project.ScopedName(c.cp.Name, key)
}

// networks returns the networks enabled services use (with
// --all-resources, every declared one), sorted by key.
func (c *converter) networks() []project.Network {
	if c.l.session.opts.AllResources {
		// --all-resources: the networks no service uses too.
		for k := range c.cp.Networks {
			c.usedNetworks[k] = true
		}
	}
	keys := make([]string, 0, len(c.usedNetworks))
	for k := range c.usedNetworks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]project.Network, 0, len(keys))
	for _, key := range keys {
		n := c.cp.Networks[key]
		c.checkKeys(n, networkSpec, []string{"networks", key}, fmt.Sprintf("network %q", key))
		hash, err := networkHash(n)
		if err != nil {
			c.refuse([]string{"networks", key}, "network %q: cannot compute config hash: %v", key, err)
		}
		out = append(out, project.Network{
			Key:        key,
			Name:       c.networkName(key),
			External:   bool(n.External),
			Driver:     n.Driver,
			DriverOpts: copyMap(n.DriverOpts),
			Labels:     copyMap(n.Labels),
			Internal:   n.Internal,
			Attachable: n.Attachable,
			EnableIPv6: n.EnableIPv6 != nil && *n.EnableIPv6,
			EnableIPv4: n.EnableIPv4,
			IPAM:       ipam(n.Ipam),
			ConfigHash: hash,
		})
	}
	return out
}

func ipam(i types.IPAMConfig) project.IPAM {
	out := project.IPAM{Driver: i.Driver, Options: copyMap(i.Options)}
	for _, pool := range i.Config {
		if pool == nil {
			continue
		}
		out.Configs = append(out.Configs, project.IPAMConfig{
			Subnet:     pool.Subnet,
			Gateway:    pool.Gateway,
			IPRange:    pool.IPRange,
			AuxAddress: copyMap(pool.AuxiliaryAddresses),
		})
	}
	return out
}

// volumes returns every declared volume, sorted by key, used or not (down -v
// must know them all).
func (c *converter) volumes() []project.Volume {
	keys := make([]string, 0, len(c.cp.Volumes))
	for k := range c.cp.Volumes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]project.Volume, 0, len(keys))
	for _, key := range keys {
		v := c.cp.Volumes[key]
		hash, err := volumeHash(v)
		if err != nil {
			c.refuse([]string{"volumes", key}, "volume %q: cannot compute config hash: %v", key, err)
		}
		out = append(out, project.Volume{
			Key:        key,
			Name:       c.volumeName(key),
			External:   bool(v.External),
			Driver:     v.Driver,
			DriverOpts: copyMap(v.DriverOpts),
			Labels:     copyMap(v.Labels),
			ConfigHash: hash,
		})
	}
	return out
}
