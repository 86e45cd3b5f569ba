package loader

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mycompose/mycompose/project"
)

// converter turns a loaded compose-go project into a project.Project. It
// collects every refusal instead of stopping at the first, so that one run
// shows the user all they must change.
type converter struct {
	l            *loaded
	cp           *types.Project
	problems     []problem
	warnings     []string
	usedNetworks map[string]bool
	pos          *positions // parsed on demand by locate
}

// problem is one refusal; path locates it in the compose files
// (services.web.deploy.placement) for the file:line prefix.
type problem struct {
	path []string
	msg  string
}

func (l *loaded) convert() (*project.Project, error) {
	c := &converter{l: l, cp: l.compose, usedNetworks: map[string]bool{}}
	p := &project.Project{
		Name:        c.cp.Name,
		WorkingDir:  c.cp.WorkingDir,
		ConfigFiles: append([]string(nil), c.cp.ComposeFiles...),
		EnvFiles:    append([]string(nil), l.session.envFiles...),
		DigestKey:   l.session.opts.DigestKey,
		Separator:   c.separator(),
	}
	if len(p.EnvFiles) == 0 {
		p.EnvFiles = nil
	}
	if err := c.checkServiceNames(); err != nil {
		return nil, err
	}
	for _, name := range c.cp.ServiceNames() {
		p.Services = append(p.Services, c.service(c.cp.Services[name]))
	}
	p.DisabledServices = c.cp.DisabledServiceNames()
	sort.Strings(p.DisabledServices)
	p.Profiles = c.cp.AllServices().GetProfiles()
	sort.Strings(p.Profiles)
	p.Networks = c.networks()
	p.Volumes = c.volumes()
	p.Models = c.models(p.Services)
	// compose-go v2.16 (Docker Compose v5.6) added top-level jobs, which
	// the engine runs (convergence.CheckJobs decides with the engine).
	jobs := c.cp.AllJobs()
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		j := jobs[name]
		where := c.locate([]string{"jobs", name, "triggers"})
		if where == "" {
			where = c.locate([]string{"jobs", name})
		}
		p.Jobs = append(p.Jobs, project.Job{Name: name, Scheduled: j.Triggers != nil && len(j.Triggers.Schedule) > 0, Where: where})
	}
	p.Swarm = c.swarmProject(p)
	if err := c.err(); err != nil {
		return nil, err
	}
	// compose-go rejects depends_on cycles; this also covers the
	// network_mode: service:x edges project.Levels follows.
	if _, err := project.Levels(p.DependencyMap()); err != nil {
		return nil, err
	}
	p.Warnings = c.warnings
	return p, nil
}

func (c *converter) checkServiceNames() error {
	var names []string
	for name := range c.cp.AllServices() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := project.ValidateServiceName(name); err != nil {
			// compose-go v2.16's schema lets such names through: say
			// where the name is written, as for every other refusal.
			c.refuse([]string{"services", name}, "%v", err)
		}
	}
	return c.err()
}

// refuse records a problem at path (below the compose file root).
func (c *converter) refuse(path []string, format string, args ...any) {
	c.problems = append(c.problems, problem{path: path, msg: fmt.Sprintf(format, args...)})
}

// serviceRefuse records a problem of service svc at key path below it.
func (c *converter) serviceRefuse(svc string, path []string, format string, args ...any) {
	full := append([]string{"services", svc}, path...)
	c.refuse(full, "service %q: %s", svc, fmt.Sprintf(format, args...))
}

// checkKeys refuses the keys of v that sp does not allow. root is the path
// of v in the compose file; owner names v in messages.
func (c *converter) checkKeys(v any, sp spec, root []string, owner string) {
	paths, err := unsupported(v, sp)
	if err != nil {
		c.refuse(root, "%s: %v", owner, err)
		return
	}
	for _, p := range paths {
		c.refuse(append(append([]string(nil), root...), p...), "%s", keyRefusal(owner, root[0], p))
	}
}

// err renders the collected problems, each prefixed with file:line when
// the key can be found in a compose file.
func (c *converter) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	pos := newPositions(c.cp.ComposeFiles)
	lines := make([]string, 0, len(c.problems))
	for _, pb := range c.problems {
		// Two segments (services.<name>) at least, so we never point at the
		// bare `services:` line.
		if file, line, ok := pos.find(pb.path, min(2, len(pb.path))); ok {
			lines = append(lines, fmt.Sprintf("%s:%d: %s", c.l.session.display(file), line, pb.msg))
			continue
		}
		lines = append(lines, pb.msg)
	}
	return errors.New(strings.Join(lines, "\n"))
}

func (c *converter) service(s types.ServiceConfig) project.Service {
	sp := serviceSpec
	if c.l.session.opts.Swarm {
		sp = swarmSpec
	}
	c.checkKeys(checkable(s), sp, []string{"services", s.Name}, fmt.Sprintf("service %q", s.Name))
	hash, accepted, err := serviceHashes(s, c.l.hashRelease)
	if err != nil {
		c.serviceRefuse(s.Name, nil, "cannot compute config hash: %v", err)
	}
	config, _ := ServiceConfigJSON(s)
	ctr := c.container(s)
	ctr.Files = c.files(s)
	c.useAPISocket(s, &ctr)
	var swarmOnly []string
	if !c.l.session.opts.Swarm {
		swarmOnly = swarmOnlyDeployKeys(s)
	}
	return project.Service{
		SwarmOnly:      swarmOnly,
		Detached:       s.Attach != nil && !*s.Attach,
		Name:           s.Name,
		Replicas:       replicas(s),
		Provider:       provider(s),
		Models:         serviceModels(s),
		ConfigHash:     hash,
		AcceptedHashes: accepted,
		Config:         config,
		ContainerName:  s.ContainerName,
		DependsOn:      c.dependsOn(s),
		Container:      ctr,
		Networks:       c.attachments(s),
		PullPolicy:     c.pullPolicy(s),
		Build:          c.build(s),
		Watch:          c.watchRules(s),
		Swarm:          c.swarmService(s, ctr),
		Requires:       c.requirements(s),
		PreStart:       c.preStart(s, ctr.Image),
		PostStart:      hooks(s.PostStart),
		PreStop:        hooks(s.PreStop),
		Links:          links(s),
		ExternalLinks:  externalLinks(s),
	}
}

// checkable is s as the key check can marshal it: compose-go's SSHKey
// renders `ssh: [id=path]` as invalid JSON ("id": path, unquoted), so the
// paths are left out of the copy (they are not keys).
func checkable(s types.ServiceConfig) types.ServiceConfig {
	if s.Build == nil || len(s.Build.SSH) == 0 {
		return s
	}
	b := *s.Build
	b.SSH = make(types.SSHConfig, len(s.Build.SSH))
	for i, k := range s.Build.SSH {
		b.SSH[i] = types.SSHKey{ID: k.ID}
	}
	s.Build = &b
	return s
}

// replicas is 0 for a provider service, else deploy.replicas, else
// scale, else 1 (compose-go has already
// refused distinct values for the two).
func replicas(s types.ServiceConfig) int {
	if s.Provider != nil {
		return 0 // its provider runs it, not a container
	}
	if s.Deploy != nil && s.Deploy.Replicas != nil {
		return *s.Deploy.Replicas
	}
	if s.Scale != nil {
		return *s.Scale
	}
	return 1
}

// dependsOn converts depends_on. compose-go has already rejected required
// dependencies on unknown or disabled services; optional ones on a service
// that is not enabled are dropped with a warning, as Docker Compose does.
func (c *converter) dependsOn(s types.ServiceConfig) []project.Dependency {
	names := make([]string, 0, len(s.DependsOn))
	for name := range s.DependsOn {
		names = append(names, name)
	}
	sort.Strings(names)
	var deps []project.Dependency
	for _, name := range names {
		d := s.DependsOn[name]
		if _, ok := c.cp.Services[name]; !ok {
			c.warnings = append(c.warnings, fmt.Sprintf(
				"service %q: optional dependency %q is not enabled (disabled by profiles or undefined); ignoring it", s.Name, name))
			continue
		}
		cond := d.Condition
		if cond == "" {
			cond = project.ConditionStarted
		}
		deps = append(deps, project.Dependency{Service: name, Condition: cond, Restart: d.Restart, Required: d.Required})
	}
	return deps
}

// separator is "_" in compatibility mode (--compatibility or
// COMPOSE_COMPATIBILITY), else "" (Docker Compose's "-").
func (c *converter) separator() string {
	if c.l.session.opts.Compatibility {
		return "_"
	}
	return ""
}
