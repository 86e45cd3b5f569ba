package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
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
	CapAdd        []string
	CapDrop       []string
	Build         bool
	Pull          string
	QuietPull     bool
	Quiet         bool
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
	f.BoolVarP(&o.NoTty, "no-TTY", "T", false, "disable pseudo-TTY allocation (default: a TTY when stdin is a terminal); also --no-tty")
	acceptNoTTYSpellings(cmd)
	f.BoolVarP(&o.Interactive, "interactive", "i", true, "keep stdin open")
	f.BoolVarP(&o.ServicePorts, "service-ports", "P", false, "run the command with the service's ports published")
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
	f.StringArrayVar(&o.CapAdd, "cap-add", nil, "add Linux capabilities (repeatable)")
	f.StringArrayVar(&o.CapDrop, "cap-drop", nil, "drop Linux capabilities (repeatable)")
	f.BoolVar(&o.Build, "build", false, "build the image before starting the container")
	f.StringVar(&o.Pull, "pull", "policy", `pull the image before running: "always", "missing", "never", or "policy" (the service's pull_policy)`)
	f.BoolVar(&o.QuietPull, "quiet-pull", false, "pull without printing progress information")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "don't print anything to standard output but the container's")
	return cmd
}

// runRun runs a one-off container of the service, attached to this
// terminal unless -d, and returns the container's exit code. The pipeline
// converges what it needs first (its dependencies unless --no-deps, its
// networks and volumes) and creates it like a replica of the service.
func runRun(ctx context.Context, deps *Deps, g *globalOptions, o *runOptions, args []string) error {
	p, err := g.load(ctx, deps)
	if err != nil {
		return err
	}
	svc, ok := p.Service(args[0])
	if _, job := p.Job(args[0]); !ok && job {
		eng, err := g.connect(ctx, deps)
		if err != nil {
			return err
		}
		defer eng.Close()
		ev, err := eng.EngineVersion(ctx)
		if err != nil {
			return err
		}
		if ev, err = convergence.WithRelease(ctx, eng, ev); err != nil {
			return err
		}
		return convergence.CheckJobs(p, args[0], ev)
	}
	if !ok {
		return unknownService(p, args[0])
	}
	policy, err := pullPolicyFlag(o.Pull)
	if err != nil {
		return err
	}
	tty := !o.NoTty && !o.Detach && isTerminal(deps.Stdin)
	spec, err := oneOffSpec(p, svc, o, args[1:], newSlug(), deps.Environ, tty)
	if err != nil {
		return err
	}
	spec.Spec.CapAdd = append(append([]string(nil), spec.Spec.CapAdd...), o.CapAdd...)
	spec.Spec.CapDrop = append(append([]string(nil), spec.Spec.CapDrop...), o.CapDrop...)
	spec.OneOff = &convergence.OneOffOptions{Interactive: o.Interactive && !o.Detach, AutoRemove: o.Rm && o.Detach}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	warnOneOffSocketMount(deps.Stderr, spec.Spec.Mounts, eng.Endpoint())
	req := convergence.Request{Op: convergence.OpRun, Project: p,
		// Orphans are named as up names them, unless COMPOSE_IGNORE_ORPHANS.
		Up: convergence.UpOptions{RemoveOrphans: o.RemoveOrphans || envBool(deps.Environ, "COMPOSE_REMOVE_ORPHANS"),
			IgnoreOrphans: envBool(deps.Environ, "COMPOSE_IGNORE_ORPHANS")},
		OneOff:     &convergence.OneOff{Service: svc.Name, Create: spec, Deps: !o.NoDeps, UseAliases: o.UseAliases, Start: o.Detach},
		PullPolicy: policy, Quiet: o.QuietPull || o.Quiet,
		Build: convergence.BuildOptions{Force: o.Build}}
	// The one-off's own progress is its output, attached below.
	quiet := func(e convergence.Event) bool { return e.Name == spec.Name }
	res, err := g.runPipeline(ctx, deps, eng, req, quiet)
	if err != nil || g.DryRun {
		return err
	}
	if o.Detach {
		if !o.Quiet {
			fmt.Fprintln(deps.Stdout, spec.Name)
		}
		return nil
	}
	return attachOneOff(ctx, deps, eng, res.OneOffID, o, tty)
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
