package dockerengine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	msw "github.com/mycompose/mycompose/convergence/swarm"
	"github.com/mycompose/mycompose/project"
)

// SwarmEngine is a swarm.Engine backed by a Docker engine that is a Swarm
// manager.
type SwarmEngine struct {
	cli *client.Client
}

var _ msw.Engine = (*SwarmEngine)(nil)

// Swarm returns the Swarm side of the engine (same connection).
func (e *Engine) Swarm() msw.Engine { return &SwarmEngine{cli: e.cli} }

func stackFilter(stack string) filters.Args {
	return filters.NewArgs(filters.Arg("label", project.StackNamespaceLabel+"="+stack))
}

// IsManager reports whether the engine is an active Swarm manager.
func (e *SwarmEngine) IsManager(ctx context.Context) (bool, error) {
	info, err := e.cli.Info(ctx)
	if err != nil {
		return false, err
	}
	return info.Swarm.LocalNodeState == swarm.LocalNodeStateActive && info.Swarm.ControlAvailable, nil
}

// ListServices lists the stack's services.
func (e *SwarmEngine) ListServices(ctx context.Context, stack string) ([]msw.Service, error) {
	list, err := e.cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: stackFilter(stack)})
	if err != nil {
		return nil, err
	}
	out := make([]msw.Service, 0, len(list))
	for _, s := range list {
		o := msw.Service{ID: s.ID, Name: s.Spec.Name, Labels: s.Spec.Labels, Global: s.Spec.Mode.Global != nil}
		if r := s.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
			o.Replicas = *r.Replicas
		}
		if u := s.UpdateStatus; u != nil {
			o.UpdateState, o.UpdateMessage = string(u.State), u.Message
			if u.StartedAt != nil {
				o.UpdateStarted = *u.StartedAt
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// ListNetworks lists the stack's networks.
func (e *SwarmEngine) ListNetworks(ctx context.Context, stack string) ([]msw.Object, error) {
	list, err := e.cli.NetworkList(ctx, network.ListOptions{Filters: stackFilter(stack)})
	if err != nil {
		return nil, err
	}
	var out []msw.Object
	for _, n := range list {
		out = append(out, msw.Object{ID: n.ID, Name: n.Name, Labels: n.Labels})
	}
	return out, nil
}

// ListSecrets lists the stack's secrets.
func (e *SwarmEngine) ListSecrets(ctx context.Context, stack string) ([]msw.Object, error) {
	list, err := e.cli.SecretList(ctx, swarm.SecretListOptions{Filters: stackFilter(stack)})
	if err != nil {
		return nil, err
	}
	var out []msw.Object
	for _, s := range list {
		out = append(out, msw.Object{ID: s.ID, Name: s.Spec.Name, Labels: s.Spec.Labels})
	}
	return out, nil
}

// ListConfigs lists the stack's configs.
func (e *SwarmEngine) ListConfigs(ctx context.Context, stack string) ([]msw.Object, error) {
	list, err := e.cli.ConfigList(ctx, swarm.ConfigListOptions{Filters: stackFilter(stack)})
	if err != nil {
		return nil, err
	}
	var out []msw.Object
	for _, c := range list {
		out = append(out, msw.Object{ID: c.ID, Name: c.Spec.Name, Labels: c.Spec.Labels})
	}
	return out, nil
}

// ListTasks lists the tasks of the stack's services.
func (e *SwarmEngine) ListTasks(ctx context.Context, stack string) ([]msw.Task, error) {
	services, err := e.cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: stackFilter(stack)})
	if err != nil || len(services) == 0 {
		return nil, err
	}
	f := filters.NewArgs()
	for _, s := range services {
		f.Add("service", s.ID)
	}
	list, err := e.cli.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return nil, err
	}
	return tasks(list, nil), nil
}

// TasksOf lists the tasks of these services, removed ones included: the
// manager's service filter refuses a removed service, so every task is
// listed and those of the services kept.
func (e *SwarmEngine) TasksOf(ctx context.Context, serviceIDs []string) ([]msw.Task, error) {
	if len(serviceIDs) == 0 {
		return nil, nil
	}
	list, err := e.cli.TaskList(ctx, swarm.TaskListOptions{})
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, id := range serviceIDs {
		keep[id] = true
	}
	return tasks(list, keep), nil
}

// tasks maps the engine's tasks, those of the services in keep when set.
func tasks(list []swarm.Task, keep map[string]bool) []msw.Task {
	out := make([]msw.Task, 0, len(list))
	for _, t := range list {
		if keep != nil && !keep[t.ServiceID] {
			continue
		}
		o := msw.Task{
			ID: t.ID, ServiceID: t.ServiceID, Slot: t.Slot, NodeID: t.NodeID,
			DesiredState: string(t.DesiredState), State: string(t.Status.State),
			Err: t.Status.Err, Message: t.Status.Message, Timestamp: t.Status.Timestamp,
		}
		if cs := t.Status.ContainerStatus; cs != nil {
			o.ContainerID = cs.ContainerID
		}
		if c := t.Spec.ContainerSpec; c != nil {
			o.Image, o.Hash = c.Image, c.Labels[msw.HashLabel]
		}
		out = append(out, o)
	}
	return out
}

// ListNodes lists the Swarm's nodes.
func (e *SwarmEngine) ListNodes(ctx context.Context) ([]msw.Node, error) {
	list, err := e.cli.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]msw.Node, 0, len(list))
	for _, n := range list {
		out = append(out, msw.Node{ID: n.ID, Hostname: n.Description.Hostname, State: string(n.Status.State), Role: string(n.Spec.Role)})
	}
	return out, nil
}

// CreateNetwork creates an attachable overlay network.
func (e *SwarmEngine) CreateNetwork(ctx context.Context, n msw.NetworkSpec) error {
	opts := network.CreateOptions{
		Driver: "overlay", Scope: "swarm", Attachable: true, Internal: n.Network.Internal,
		Options: n.Network.DriverOpts, Labels: n.Labels,
	}
	if ip := n.Network.IPAM; ip.Driver != "" || len(ip.Configs) > 0 {
		opts.IPAM = &network.IPAM{Driver: ip.Driver, Options: ip.Options}
		for _, c := range ip.Configs {
			opts.IPAM.Config = append(opts.IPAM.Config, network.IPAMConfig{Subnet: c.Subnet, Gateway: c.Gateway, IPRange: c.IPRange, AuxAddress: c.AuxAddress})
		}
	}
	_, err := e.cli.NetworkCreate(ctx, n.Name, opts)
	return err
}

// RemoveNetwork removes a network.
func (e *SwarmEngine) RemoveNetwork(ctx context.Context, id string) error {
	return swarmFail(e.cli.NetworkRemove(ctx, id))
}

// CreateSecret creates a secret.
func (e *SwarmEngine) CreateSecret(ctx context.Context, o msw.ObjectSpec) error {
	_, err := e.cli.SecretCreate(ctx, swarm.SecretSpec{Annotations: swarm.Annotations{Name: o.Name, Labels: o.Labels}, Data: o.Data})
	return err
}

// RemoveSecret removes a secret.
func (e *SwarmEngine) RemoveSecret(ctx context.Context, id string) error {
	return swarmFail(e.cli.SecretRemove(ctx, id))
}

// CreateConfig creates a config.
func (e *SwarmEngine) CreateConfig(ctx context.Context, o msw.ObjectSpec) error {
	_, err := e.cli.ConfigCreate(ctx, swarm.ConfigSpec{Annotations: swarm.Annotations{Name: o.Name, Labels: o.Labels}, Data: o.Data})
	return err
}

// RemoveConfig removes a config.
func (e *SwarmEngine) RemoveConfig(ctx context.Context, id string) error {
	return swarmFail(e.cli.ConfigRemove(ctx, id))
}

// CreateService creates a service. The registry is not queried here:
// the caller pins images to digests beforehand (ResolveImage), which keeps
// the digest in the spec's hash.
func (e *SwarmEngine) CreateService(ctx context.Context, s msw.ServiceSpec) error {
	spec := serviceSpec(s)
	if err := e.resolveRefs(ctx, &spec); err != nil {
		return err
	}
	auth, err := serviceAuth(s)
	if err != nil {
		return err
	}
	_, err = e.cli.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false, EncodedRegistryAuth: auth})
	return err
}

// serviceAuth is the X-Registry-Auth sent with a spec that asks for it.
func serviceAuth(s msw.ServiceSpec) (string, error) {
	if !s.RegistryAuth {
		return "", nil
	}
	reg, err := registryOf(s.Service.Container.Image)
	if err != nil {
		return "", fmt.Errorf("service %s: image %q: %w", s.Name, s.Service.Container.Image, err)
	}
	return registryAuth(reg)
}

// ResolveImage asks the registry, through the manager (as docker stack
// deploy --resolve-image always does), for ref's manifest digest.
func (e *SwarmEngine) ResolveImage(ctx context.Context, ref string) (string, error) {
	reg, err := registryOf(ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", ref, err)
	}
	auth, credErr := registryAuth(reg)
	d, err := e.cli.DistributionInspect(ctx, ref, auth)
	if err != nil {
		if credErr != nil {
			err = fmt.Errorf("%w (credentials: %v)", err, credErr)
		}
		return "", fmt.Errorf("image %q at %s: %v%.0w", ref, reg, err, msw.ErrNotResolved)
	}
	return string(d.Descriptor.Digest), nil
}

// RollbackService asks the manager to go back to the service's previous
// spec (docker service rollback).
func (e *SwarmEngine) RollbackService(ctx context.Context, id string) error {
	cur, _, err := e.cli.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return err
	}
	if cur.PreviousSpec == nil {
		return fmt.Errorf("service %s has no previous spec to roll back to", cur.Spec.Name)
	}
	_, err = e.cli.ServiceUpdate(ctx, id, cur.Version, cur.Spec, swarm.ServiceUpdateOptions{Rollback: "previous"})
	return err
}

// ContainerHealth returns the output of the container's last health
// check, when this engine runs it.
func (e *SwarmEngine) ContainerHealth(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	c, err := e.cli.ContainerInspect(ctx, id)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", nil
		}
		return "", err
	}
	if c.State == nil || c.State.Health == nil || len(c.State.Health.Log) == 0 {
		return "", nil
	}
	last := c.State.Health.Log[len(c.State.Health.Log)-1]
	return fmt.Sprintf("exit %d: %s", last.ExitCode, strings.TrimSpace(last.Output)), nil
}

// UpdateService replaces the service's spec.
func (e *SwarmEngine) UpdateService(ctx context.Context, id string, s msw.ServiceSpec) error {
	cur, _, err := e.cli.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return err
	}
	spec := serviceSpec(s)
	if err := e.resolveRefs(ctx, &spec); err != nil {
		return err
	}
	spec.TaskTemplate.ForceUpdate = cur.Spec.TaskTemplate.ForceUpdate
	auth, err := serviceAuth(s)
	if err != nil {
		return err
	}
	// Without new credentials the manager keeps the spec's (registryAuthFrom=spec).
	_, err = e.cli.ServiceUpdate(ctx, id, cur.Version, spec, swarm.ServiceUpdateOptions{QueryRegistry: false, EncodedRegistryAuth: auth})
	return err
}

// ScaleService sets the replicas, leaving the rest of the spec as it is.
func (e *SwarmEngine) ScaleService(ctx context.Context, id string, replicas uint64) error {
	cur, _, err := e.cli.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return err
	}
	if cur.Spec.Mode.Replicated == nil {
		return fmt.Errorf("service %s is global: it cannot be scaled", cur.Spec.Name)
	}
	cur.Spec.Mode.Replicated.Replicas = &replicas
	_, err = e.cli.ServiceUpdate(ctx, id, cur.Version, cur.Spec, swarm.ServiceUpdateOptions{QueryRegistry: false})
	return err
}

// RemoveService removes a service.
func (e *SwarmEngine) RemoveService(ctx context.Context, id string) error {
	return e.cli.ServiceRemove(ctx, id)
}

// ServiceLogs copies the service's logs to w, each line prefixed.
func (e *SwarmEngine) ServiceLogs(ctx context.Context, id string, o msw.LogOptions, w io.Writer) error {
	rc, err := e.cli.ServiceLogs(ctx, id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: o.Follow, Tail: o.Tail,
		Timestamps: o.Timestamps, Since: o.Since,
	})
	if err != nil {
		return err
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	go func() { _, err := stdcopy.StdCopy(pw, pw, rc); pw.CloseWithError(err) }()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if _, err := fmt.Fprintf(w, "%s%s\n", o.Prefix, strings.TrimRight(sc.Text(), "\r")); err != nil {
			return err
		}
	}
	return sc.Err()
}

// resolveRefs fills in the IDs of the secrets and configs the spec names.
func (e *SwarmEngine) resolveRefs(ctx context.Context, spec *swarm.ServiceSpec) error {
	cs := spec.TaskTemplate.ContainerSpec
	for _, r := range cs.Secrets {
		list, err := e.cli.SecretList(ctx, swarm.SecretListOptions{Filters: filters.NewArgs(filters.Arg("name", r.SecretName))})
		if err != nil {
			return err
		}
		for _, s := range list {
			if s.Spec.Name == r.SecretName {
				r.SecretID = s.ID
			}
		}
		if r.SecretID == "" {
			return fmt.Errorf("secret %s not found", r.SecretName)
		}
	}
	for _, r := range cs.Configs {
		list, err := e.cli.ConfigList(ctx, swarm.ConfigListOptions{Filters: filters.NewArgs(filters.Arg("name", r.ConfigName))})
		if err != nil {
			return err
		}
		for _, c := range list {
			if c.Spec.Name == r.ConfigName {
				r.ConfigID = c.ID
			}
		}
		if r.ConfigID == "" {
			return fmt.Errorf("config %s not found", r.ConfigName)
		}
	}
	return nil
}
