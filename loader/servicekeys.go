package loader

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	str2duration "github.com/xhit/go-str2duration/v2"

	"github.com/mycompose/mycompose/project"
)

// hooks converts post_start or pre_stop hooks, in file order.
func hooks(hs []types.ServiceHook) []project.Hook {
	var out []project.Hook
	for _, h := range hs {
		out = append(out, project.Hook{
			Command:    command(h.Command),
			User:       h.User,
			Privileged: h.Privileged,
			WorkingDir: h.WorkingDir,
			Env:        environment(h.Environment),
		})
	}
	return out
}

// links converts links: ("db" or "db:database"). compose-go has already
// made each linked service a dependency (started first) and refused
// links to unknown services.
func links(s types.ServiceConfig) []project.Link {
	var out []project.Link
	for _, l := range s.Links {
		svc, alias, ok := strings.Cut(l, ":")
		if !ok {
			alias = svc
		}
		out = append(out, project.Link{Service: svc, Alias: alias})
	}
	return out
}

// externalLinks converts external_links ("container" or
// "container:alias") to the engine's "container:alias" form.
func externalLinks(s types.ServiceConfig) []string {
	var out []string
	for _, l := range s.ExternalLinks {
		name, alias, ok := strings.Cut(l, ":")
		if !ok {
			alias = name
		}
		out = append(out, name+":"+alias)
	}
	return out
}

// API socket injection, as Docker Compose does for use_api_socket: the
// engine's socket is bind-mounted at /var/run/docker.sock, and the
// credentials of the Docker CLI are handed over as a config file that
// DOCKER_CONFIG points at (unless the service sets DOCKER_CONFIG itself).
const (
	apiSocketPath      = "/var/run/docker.sock"
	apiSocketConfigDir = "/run/secrets/docker"
	// apiSocketConfigName names the credentials file among the service's
	// configs (a name no compose file can declare).
	apiSocketConfigName = "#apisocket"
)

// useAPISocket adds the socket mount, the credentials file and
// DOCKER_CONFIG to spec.
func (c *converter) useAPISocket(s types.ServiceConfig, spec *project.ContainerSpec) {
	if !s.UseAPISocket {
		return
	}
	source := apiSocketPath
	// Only the commands that create containers ask for the engine's
	// endpoint (config must not depend on it).
	if find := c.l.session.opts.APISocket; find != nil && c.l.session.opts.ReadFiles {
		var err error
		if source, err = find(); err != nil {
			c.serviceRefuse(s.Name, []string{"use_api_socket"}, "%v", err)
			return
		}
	}
	spec.Mounts = append(spec.Mounts, project.Mount{Type: project.MountBind, Source: source, Target: apiSocketPath})
	if _, set := s.Environment["DOCKER_CONFIG"]; !set {
		spec.Env = append(spec.Env, "DOCKER_CONFIG="+apiSocketConfigDir)
		sort.Strings(spec.Env)
	}
	f := project.ContainerFile{Kind: "config", Name: apiSocketConfigName, Path: apiSocketConfigDir + "/config.json", Mode: 0o444}
	if c.l.session.opts.ReadFiles {
		read := c.l.session.opts.APISocketConfig
		if read == nil {
			read = func() ([]byte, error) { return []byte("{}\n"), nil }
		}
		data, err := read()
		if err != nil {
			c.serviceRefuse(s.Name, []string{"use_api_socket"}, "the Docker CLI's credentials for use_api_socket: %v", err)
			return
		}
		f.Content = data
		f.Digest = project.Digest(c.l.session.opts.DigestKey, data)
	}
	spec.Files = append(spec.Files, f)
}

// pullPolicy is pull_policy, with pull_refresh_after: `refresh` pulls an
// image again once it is that old (every_<seconds>s for the pull step);
// without it, refresh means missing, as in compose-go.
func (c *converter) pullPolicy(s types.ServiceConfig) string {
	if s.PullRefreshAfter == "" {
		return s.PullPolicy
	}
	d, err := str2duration.ParseDuration(s.PullRefreshAfter)
	if err != nil || d < time.Second {
		c.serviceRefuse(s.Name, []string{"pull_refresh_after"}, "pull_refresh_after %q is not a duration of a second or more (use 12h, 1d, 30m)", s.PullRefreshAfter)
		return s.PullPolicy
	}
	if s.PullPolicy != types.PullPolicyRefresh {
		c.serviceRefuse(s.Name, []string{"pull_refresh_after"}, "pull_refresh_after is only used with pull_policy: refresh (pull_policy is %q)", s.PullPolicy)
		return s.PullPolicy
	}
	return fmt.Sprintf("every_%ds", int64(d/time.Second))
}

// provider converts provider:, the program that manages a service without
// a container.
func provider(s types.ServiceConfig) *project.Provider {
	if s.Provider == nil {
		return nil
	}
	out := &project.Provider{Type: s.Provider.Type}
	names := make([]string, 0, len(s.Provider.Options))
	for k := range s.Provider.Options {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out.Options = append(out.Options, project.ProviderOption{Name: k, Values: append([]string(nil), s.Provider.Options[k]...)})
	}
	return out
}

// serviceModels converts a service's models:, with Docker Compose's
// default variable names.
func serviceModels(s types.ServiceConfig) []project.ServiceModel {
	var out []project.ServiceModel
	for _, key := range slices.Sorted(maps.Keys(s.Models)) {
		prefix := strings.ReplaceAll(strings.ToUpper(key), "-", "_")
		m := project.ServiceModel{Key: key, EndpointVar: prefix + "_URL", ModelVar: prefix + "_MODEL"}
		if cfg := s.Models[key]; cfg != nil {
			if cfg.EndpointVariable != "" {
				m.EndpointVar = cfg.EndpointVariable
			}
			if cfg.ModelVariable != "" {
				m.ModelVar = cfg.ModelVariable
			}
		}
		out = append(out, m)
	}
	return out
}

// models converts the top-level models the enabled services use.
func (c *converter) models(services []project.Service) []project.Model {
	used := map[string]bool{}
	for _, s := range services {
		for _, m := range s.Models {
			used[m.Key] = true
		}
	}
	var out []project.Model
	for _, key := range slices.Sorted(maps.Keys(used)) {
		m, ok := c.cp.Models[key]
		if !ok {
			continue // compose-go refuses an undefined model
		}
		name := m.Name
		if name == "" {
			name = key
		}
		out = append(out, project.Model{Key: key, Name: name, Model: m.Model, ContextSize: m.ContextSize,
			RuntimeFlags: append([]string(nil), m.RuntimeFlags...)})
	}
	return out
}

// preStart converts the pre_start init containers: each is a container
// spec of its own, checked and converted as a service's is.
func (c *converter) preStart(s types.ServiceConfig, image string) []project.PreStartHook {
	var out []project.PreStartHook
	for _, h := range s.PreStart {
		hs := types.ServiceConfig{Name: s.Name, ContainerSpec: h.ContainerSpec}
		if hs.Image == "" {
			hs.Image = image
		}
		spec := c.container(hs)
		spec.Files = c.files(hs)
		out = append(out, project.PreStartHook{Container: spec, PerReplica: h.PerReplica})
	}
	return out
}
