package loader

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-units"

	"github.com/mycompose/mycompose/project"
)

// exposedPorts merges expose and the ports' targets as "80/tcp", sorted and
// unique, like Docker Compose's buildContainerPorts. Ranges are expanded
// because the engine API takes single ports.
func (c *converter) exposedPorts(s types.ServiceConfig) []string {
	set := map[string]bool{}
	for i, e := range s.Expose {
		ports, err := expandExpose(e)
		if err != nil {
			c.serviceRefuse(s.Name, []string{"expose", index(i)}, "invalid expose %q: %v", e, err)
			continue
		}
		for _, p := range ports {
			set[p] = true
		}
	}
	for _, p := range s.Ports {
		set[fmt.Sprintf("%d/%s", p.Target, protocol(p.Protocol))] = true
	}
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// expandExpose parses "port[-port][/proto]".
func expandExpose(e string) ([]string, error) {
	portRange, proto, _ := strings.Cut(e, "/")
	lo, hi, isRange := strings.Cut(portRange, "-")
	start, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%q is not a port number (0-65535)", lo)
	}
	end := start
	if isRange {
		if end, err = strconv.ParseUint(hi, 10, 16); err != nil {
			return nil, fmt.Errorf("%q is not a port number (0-65535)", hi)
		}
		if end < start {
			return nil, fmt.Errorf("the range ends (%d) before it starts (%d)", end, start)
		}
	}
	var out []string
	for p := start; p <= end; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, protocol(proto)))
	}
	return out, nil
}

func protocol(p string) string {
	if p == "" {
		return "tcp"
	}
	return strings.ToLower(p)
}

// ports keeps compose-go's order; an empty published port lets the engine
// choose, and a published range stays a range.
func ports(ps []types.ServicePortConfig) []project.PortBinding {
	var out []project.PortBinding
	for _, p := range ps {
		out = append(out, project.PortBinding{
			ContainerPort: p.Target,
			Protocol:      protocol(p.Protocol),
			HostIP:        p.HostIP,
			HostPort:      p.Published,
		})
	}
	return out
}

// mounts converts volumes then tmpfs.
func (c *converter) mounts(s types.ServiceConfig) []project.Mount {
	var out []project.Mount
	for i, v := range s.Volumes {
		if m, ok := c.volumeMount(s.Name, i, v); ok {
			out = append(out, m)
		}
	}
	for i, t := range s.Tmpfs {
		if m, ok := c.tmpfsMount(s.Name, i, t); ok {
			out = append(out, m)
		}
	}
	return out
}

func (c *converter) volumeMount(svc string, i int, v types.ServiceVolumeConfig) (project.Mount, bool) {
	m := project.Mount{Type: v.Type, Target: v.Target, ReadOnly: v.ReadOnly}
	switch v.Type {
	case types.VolumeTypeBind:
		m.Source = v.Source
		if v.Bind != nil {
			m.Propagation = v.Bind.Propagation
			m.CreateHostPath = bool(v.Bind.CreateHostPath)
			m.SELinux = v.Bind.SELinux
			switch v.Bind.Recursive {
			case "", "enabled":
			case "disabled":
				m.NonRecursive = true
			default:
				c.serviceRefuse(svc, []string{"volumes", index(i), "bind", "recursive"},
					"bind.recursive %q is not supported by mycompose yet (use enabled or disabled)", v.Bind.Recursive)
			}
		}
	case types.VolumeTypeVolume:
		// An empty source is an anonymous volume: the engine names it.
		if v.Source != "" {
			m.Source = c.volumeName(v.Source)
		}
		if v.Volume != nil {
			m.NoCopy = v.Volume.NoCopy
			m.Subpath = v.Volume.Subpath
			m.VolumeLabels = copyMap(v.Volume.Labels)
		}
	case types.VolumeTypeImage:
		// The engine mounts the image's content (API 1.47, see apigate.go).
		m.Source = v.Source
		if v.Image != nil {
			m.Subpath = v.Image.SubPath
		}
	case types.VolumeTypeTmpfs:
		if v.Tmpfs != nil {
			m.TmpfsSize = int64(v.Tmpfs.Size)
			m.TmpfsMode = v.Tmpfs.Mode
		}
	default:
		c.serviceRefuse(svc, []string{"volumes", index(i)},
			"volume type %q is not supported by mycompose yet (use bind, volume, tmpfs or image)", v.Type)
		return m, false
	}
	return m, true
}

// volumeName is the engine name of a project volume: compose-go's
// normalization already set it to <project>_<key>, the external name, or
// the explicit name.
func (c *converter) volumeName(key string) string {
	if v, ok := c.cp.Volumes[key]; ok && v.Name != "" {
		return v.Name
	}
	return project.ScopedName(c.cp.Name, key)
}

// tmpfsMount parses a `tmpfs:` entry "target[:size=N,mode=M,ro|rw]".
func (c *converter) tmpfsMount(svc string, i int, entry string) (project.Mount, bool) {
	target, opts, _ := strings.Cut(entry, ":")
	m := project.Mount{Type: project.MountTmpfs, Target: target}
	if opts == "" {
		return m, true
	}
	ok := true
	for _, o := range strings.Split(opts, ",") {
		key, val, _ := strings.Cut(o, "=")
		var err error
		switch key {
		case "size":
			if m.TmpfsSize, err = units.RAMInBytes(val); err != nil {
				err = fmt.Errorf("invalid byte size %q (use a number with an optional unit b, k, m or g, for example 64m)", val)
			}
		case "mode":
			var mode uint64
			mode, err = strconv.ParseUint(val, 8, 32)
			m.TmpfsMode = uint32(mode)
		case "ro", "rw":
			m.ReadOnly = key == "ro"
		default:
			err = fmt.Errorf("option %q is not supported by mycompose yet (use size, mode, ro or rw)", o)
		}
		if err != nil {
			c.serviceRefuse(svc, []string{"tmpfs", index(i)}, "tmpfs %q: %v", entry, err)
			ok = false
		}
	}
	return m, ok
}

func index(i int) string {
	return fmt.Sprintf("[%d]", i)
}
