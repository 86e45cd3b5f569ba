package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

type runOptions struct {
	Detach        bool
	Rm            bool
	NoDeps        bool
	NoTty         bool
	Interactive   bool
	ServicePorts  bool
	UseAliases    bool
	RemoveOrphans bool
	Name          string
	User          string
	Workdir       string
	Entrypoint    string
	Env           []string
	Volumes       []string
	Publish       []string
	Labels        []string
	entrypointSet bool
}

func newRunCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] SERVICE [COMMAND] [ARGS...]",
		Short: "Run a one-off command on a service",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.entrypointSet = cmd.Flags().Changed("entrypoint")
			return runRun(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	shadowGlobal(f, g, "project-name")
	f.SetInterspersed(false) // flags after SERVICE belong to the command
	f.BoolVarP(&o.Detach, "detach", "d", false, "run the container in the background and print its name")
	f.BoolVar(&o.Rm, "rm", false, "remove the container when it exits")
	f.BoolVar(&o.NoDeps, "no-deps", false, "don't start linked services")
	f.BoolVarP(&o.NoTty, "no-TTY", "T", false, "disable pseudo-TTY allocation (default: a TTY when stdin is a terminal)")
	f.BoolVarP(&o.Interactive, "interactive", "i", true, "keep stdin open")
	f.BoolVar(&o.ServicePorts, "service-ports", false, "run the command with the service's ports published")
	f.BoolVar(&o.UseAliases, "use-aliases", false, "use the service's network aliases in the networks the container joins")
	f.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "remove containers for services not defined in the compose file")
	f.StringVar(&o.Name, "name", "", "assign a name to the container")
	f.StringVarP(&o.User, "user", "u", "", "run as this user (name or uid)")
	f.StringVarP(&o.Workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVar(&o.Entrypoint, "entrypoint", "", "override the entrypoint of the image")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set environment variables (KEY=VALUE, or KEY to pass this process's value)")
	f.StringArrayVarP(&o.Volumes, "volume", "v", nil, "bind mount a volume (SOURCE:TARGET[:ro])")
	f.StringArrayVarP(&o.Publish, "publish", "p", nil, "publish a container's port to the host ([[IP:]HOST:]CONTAINER[/PROTO])")
	f.StringArrayVarP(&o.Labels, "label", "l", nil, "add or override a label (KEY=VALUE)")
	return cmd
}

// runRun starts the service's dependencies (unless --no-deps), then runs a
// one-off container of the service attached to this terminal, and returns
// the container's exit code.
func runRun(ctx context.Context, deps *Deps, g *globalOptions, o *runOptions, args []string) error {
	p, err := g.load(ctx, deps)
	if err != nil {
		return err
	}
	svc, ok := p.Service(args[0])
	if !ok {
		return unknownService(p, args[0])
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	// Refuse what the engine's API cannot honour before starting anything.
	checked := []string{svc.Name}
	if !o.NoDeps {
		checked = p.WithDependencies(checked)
	}
	if err := requireAPI(ctx, eng, p, checked); err != nil {
		return err
	}
	if !o.NoDeps {
		var needs []string
		for _, s := range p.WithDependencies([]string{svc.Name}) {
			if s != svc.Name {
				needs = append(needs, s)
			}
		}
		if len(needs) > 0 {
			opts := convergence.UpOptions{Services: needs, RemoveOrphans: o.RemoveOrphans, IgnoreOrphans: !o.RemoveOrphans}
			if err := converge(ctx, deps, g, p, opts); err != nil {
				return err
			}
		}
	}
	if err := ensureRunResources(ctx, deps, g, eng, p, svc); err != nil {
		return err
	}
	// The service's image is pulled under its pull policy, as up does.
	obs, err := pullAndObserve(ctx, deps, g, eng, p, []string{svc.Name})
	if err != nil {
		return err
	}
	imageID := obs.ImageIDs[svc.Container.Image]
	if imageID == "" {
		return fmt.Errorf("service %q: image %q is not present on the engine: pull or build it, then run again", svc.Name, svc.Container.Image)
	}
	tty := !o.NoTty && !o.Detach && isTerminal(deps.Stdin)
	spec, err := oneOffSpec(p, svc, o, args[1:], imageID, newSlug(), deps.Environ, tty)
	if err != nil {
		return err
	}
	multi := convergence.APIAtLeast(obs.Engine.API, convergence.MultiNetworkCreateAPI)
	if err := resolveOneOffNetwork(ctx, eng, p, svc, o, multi, &spec); err != nil {
		return err
	}
	warnOneOffSocketMount(deps.Stderr, spec.Spec.Mounts, eng.Endpoint())
	if g.DryRun {
		fmt.Fprintln(deps.Stderr, "DRY-RUN MODE: nothing is changed")
		fmt.Fprintf(deps.Stdout, "create container %s (one-off)\n", spec.Name)
		return nil
	}
	id, err := eng.CreateOneOff(ctx, spec, convergence.OneOffOptions{Interactive: o.Interactive && !o.Detach, AutoRemove: o.Rm && o.Detach})
	if err != nil {
		return err
	}
	if spec.NetworkMode == "" && len(svc.Networks) > 1 && !multi {
		for _, att := range svc.Networks[1:] {
			if err := eng.ConnectNetwork(ctx, att.Name, id, oneOffEndpoint(svc, att, o.UseAliases)); err != nil {
				eng.RemoveContainer(context.WithoutCancel(ctx), id, true)
				return fmt.Errorf("connect container %q to network %q: %w", spec.Name, att.Name, err)
			}
		}
	}
	if o.Detach {
		if err := eng.StartContainer(ctx, id); err != nil {
			return err
		}
		fmt.Fprintln(deps.Stdout, spec.Name)
		return nil
	}
	return attachOneOff(ctx, deps, eng, id, o, tty)
}

// resolveOneOffNetwork puts the one-off where the service's containers are:
// in the namespace of the service it shares one with, or on its networks:
// all of them at create time when multi (API 1.44+), else the first, the
// caller connecting the others before start.
func resolveOneOffNetwork(ctx context.Context, eng Engine, p *project.Project, svc *project.Service, o *runOptions, multi bool, spec *convergence.CreateSpec) error {
	mode := svc.Container.NetworkMode
	switch {
	case strings.HasPrefix(mode, "service:"):
		other := strings.TrimPrefix(mode, "service:")
		cs, err := eng.ListContainers(ctx, p.Name)
		if err != nil {
			return err
		}
		c, err := serviceContainer(cs, other, 1)
		if err != nil {
			return fmt.Errorf("service %q uses network_mode service:%s: %w", svc.Name, other, err)
		}
		spec.NetworkMode = "container:" + c.ID
	case mode == "" && len(svc.Networks) > 0:
		spec.PrimaryNetwork = svc.Networks[0].Name
		spec.PrimaryEndpoint = oneOffEndpoint(svc, svc.Networks[0], o.UseAliases)
		if multi {
			for _, att := range svc.Networks[1:] {
				spec.Networks = append(spec.Networks, convergence.NetworkEndpoint{Network: att.Name, Endpoint: oneOffEndpoint(svc, att, o.UseAliases)})
			}
		}
	}
	return nil
}

// attachOneOff attaches before starting, so no output is missed, waits for
// the exit and returns its code. Engine calls outlive a Ctrl-C: the signal
// is forwarded to the container instead, whose exit ends the run as usual;
// a second one kills it.
func attachOneOff(ctx context.Context, deps *Deps, eng Engine, id string, o *runOptions, tty bool) error {
	calls := context.WithoutCancel(ctx)
	cleanup := func() {
		if o.Rm {
			eng.RemoveContainer(calls, id, true)
		}
	}
	var term *terminal
	if tty {
		var err error
		if term, err = rawTerminal(deps.Stdin); err != nil {
			cleanup()
			return err
		}
		defer term.restore()
	}
	stdio := convergence.Stdio{Stdout: deps.Stdout, Stderr: deps.Stderr, Tty: tty, Resize: term.resizes()}
	if o.Interactive {
		stdio.Stdin = deps.Stdin
	}
	output, err := eng.AttachContainer(calls, id, stdio)
	if err != nil {
		cleanup()
		return err
	}
	exited := eng.WaitContainer(calls, id, convergence.WaitNextExit)
	if err := eng.StartContainer(calls, id); err != nil {
		cleanup()
		return err
	}
	if term != nil {
		term.refresh()
	}
	release := onForce(ctx, func() { eng.KillContainer(calls, id, "SIGKILL") })
	defer release()
	var res convergence.WaitResult
	select {
	case res = <-exited:
	case <-ctx.Done():
		eng.KillContainer(calls, id, interruptSignal(ctx))
		res = <-exited
	}
	select {
	case <-output:
	case <-time.After(10 * time.Second):
		// The output ends with the container; do not hang if it does not.
	}
	cleanup()
	if res.Err != nil {
		return res.Err
	}
	if res.Code != 0 {
		return &ExitError{Code: res.Code}
	}
	return nil
}
