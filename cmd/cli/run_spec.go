package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mattn/go-shellwords"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// oneOffSpec builds the container of `run` from the service: its container
// template with the command-line overrides, one-off labels and no restart
// policy (a one-off that restarts would never let `run` return).
func oneOffSpec(p *project.Project, svc *project.Service, o *runOptions, command []string, slug string, environ []string, tty bool) (convergence.CreateSpec, error) {
	spec := svc.Container
	spec.Labels = p.ContainerLabels(svc, 1, "")
	project.OneOffLabels(spec.Labels, slug)
	for _, l := range o.Labels {
		k, v, _ := strings.Cut(l, "=")
		spec.Labels[k] = v
	}
	spec.Restart = project.RestartPolicy{}
	spec.Tty = tty
	spec.OpenStdin = o.Interactive
	if len(command) > 0 {
		spec.Cmd = command
	}
	if o.entrypointSet {
		ep, err := shellwords.Parse(o.Entrypoint)
		if err != nil {
			return convergence.CreateSpec{}, usageError{fmt.Errorf("invalid --entrypoint %q: %w", o.Entrypoint, err)}
		}
		spec.Entrypoint = ep
		if ep == nil {
			spec.Entrypoint = []string{}
		}
		if len(command) == 0 {
			// A new entrypoint does not take the image's or service's command.
			spec.Cmd = []string{}
		}
	}
	if o.User != "" {
		spec.User = o.User
	}
	if o.Workdir != "" {
		spec.WorkingDir = o.Workdir
	}
	spec.Env = mergeEnv(spec.Env, envArgs(o.Env, environ))
	if !o.ServicePorts {
		spec.Ports = nil
	}
	for _, arg := range o.Publish {
		pb, err := parsePublish(arg)
		if err != nil {
			return convergence.CreateSpec{}, err
		}
		spec.Ports = append(append([]project.PortBinding(nil), spec.Ports...), pb)
	}
	spec.Mounts = append([]project.Mount(nil), spec.Mounts...)
	for _, arg := range o.Volumes {
		m, err := parseVolume(p, arg)
		if err != nil {
			return convergence.CreateSpec{}, err
		}
		spec.Mounts = append(spec.Mounts, m)
	}
	name := o.Name
	if name == "" {
		name = p.OneOffName(svc.Name, slug)
	}
	return convergence.CreateSpec{Name: name, Spec: spec}, nil
}

// newSlug returns the 64 hex digits identifying a one-off.
func newSlug() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// mergeEnv overrides base's KEY=VALUE entries with extra's, sorted.
func mergeEnv(base, extra []string) []string {
	byKey := map[string]string{}
	for _, kv := range append(append([]string(nil), base...), extra...) {
		k, _, _ := strings.Cut(kv, "=")
		byKey[k] = kv
	}
	out := make([]string, 0, len(byKey))
	for _, kv := range byKey {
		out = append(out, kv)
	}
	sort.Strings(out)
	return out
}

// parsePublish reads -p "[[ip:]host:]container[/protocol]".
func parsePublish(arg string) (project.PortBinding, error) {
	bad := func() (project.PortBinding, error) {
		return project.PortBinding{}, usageError{fmt.Errorf("invalid --publish %q: use [[IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL], for example 8080:80", arg)}
	}
	spec, proto, _ := strings.Cut(arg, "/")
	if proto == "" {
		proto = "tcp"
	}
	var ip, host, ctr string
	parts := strings.Split(spec, ":")
	switch len(parts) {
	case 1:
		ctr = parts[0]
	case 2:
		host, ctr = parts[0], parts[1]
	case 3:
		ip, host, ctr = parts[0], parts[1], parts[2]
	default:
		return bad()
	}
	n, err := strconv.ParseUint(ctr, 10, 16)
	if err != nil || n == 0 {
		return bad()
	}
	return project.PortBinding{ContainerPort: uint32(n), Protocol: proto, HostIP: ip, HostPort: host}, nil
}

// parseVolume reads -v "SOURCE:TARGET[:ro|rw]" or "TARGET" (anonymous). A
// source that is a path is a bind (relative to the project directory); a
// name is the project's volume of that key, else an engine volume.
func parseVolume(p *project.Project, arg string) (project.Mount, error) {
	parts := strings.Split(arg, ":")
	m := project.Mount{Type: project.MountVolume}
	switch len(parts) {
	case 1:
		m.Target = parts[0]
	case 2, 3:
		m.Source, m.Target = parts[0], parts[1]
		if len(parts) == 3 {
			switch parts[2] {
			case "ro":
				m.ReadOnly = true
			case "rw":
			default:
				return m, usageError{fmt.Errorf("invalid --volume %q: mode must be ro or rw", arg)}
			}
		}
	default:
		return m, usageError{fmt.Errorf("invalid --volume %q: use SOURCE:TARGET[:ro]", arg)}
	}
	if !strings.HasPrefix(m.Target, "/") {
		return m, usageError{fmt.Errorf("invalid --volume %q: the target must be an absolute path", arg)}
	}
	switch {
	case m.Source == "":
	case strings.HasPrefix(m.Source, "/"), strings.HasPrefix(m.Source, "."):
		m.Type, m.CreateHostPath = project.MountBind, true
		if !filepath.IsAbs(m.Source) {
			m.Source = filepath.Join(p.WorkingDir, m.Source)
		}
	default:
		for _, v := range p.Volumes {
			if v.Key == m.Source {
				m.Source = v.Name
				break
			}
		}
	}
	return m, nil
}
