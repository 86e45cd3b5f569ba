package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

type upOptions struct {
	Detach           bool
	Scale            []string
	ForceRecreate    bool
	NoRecreate       bool
	RemoveOrphans    bool
	NoStart          bool
	NoDeps           bool
	Timeout          int
	RenewAnonVolumes bool
	Yes              bool
	Wait             bool
	WaitTimeout      int
	timeoutSet       bool
	Pull             string
	QuietPull        bool
	// Watch runs a watch of the develop.watch rules alongside (--watch).
	Watch bool
	// converged is called once the attached up has converged.
	converged func()
	// Attached holds the flags of attached mode (no -d).
	Attached attachOptions
}

func newUpCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &upOptions{}
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return runUp(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Detach, "detach", "d", false, "run containers in the background")
	f.StringArrayVar(&o.Scale, "scale", nil, "scale SERVICE to NUM instances (SERVICE=NUM); overrides scale and deploy.replicas")
	f.BoolVar(&o.ForceRecreate, "force-recreate", false, "recreate containers even if their configuration and image have not changed")
	f.BoolVar(&o.NoRecreate, "no-recreate", false, "if containers already exist, do not recreate them")
	f.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "remove containers for services not defined in the compose file")
	f.BoolVar(&o.NoStart, "no-start", false, "do not start the services after creating them")
	f.BoolVar(&o.NoDeps, "no-deps", false, "do not start linked services")
	f.IntVarP(&o.Timeout, "timeout", "t", 0, "shutdown timeout in seconds for containers that are replaced or removed")
	f.BoolVarP(&o.RenewAnonVolumes, "renew-anon-volumes", "V", false, "recreate anonymous volumes instead of reusing data from the previous containers")
	f.BoolVarP(&o.Yes, "yes", "y", false, `assume "yes" to prompts: recreate volumes whose configuration changed (their data is lost)`)
	f.BoolVar(&o.Wait, "wait", false, "wait for services to be running and healthy (or completed, for one-shot services); implies --detach")
	f.IntVar(&o.WaitTimeout, "wait-timeout", 0, "maximum seconds to wait with --wait (0: no limit)")
	f.StringVar(&o.Pull, "pull", "policy", `pull images before running: "always", "missing", "never", or "policy" (each service's pull_policy)`)
	f.BoolVar(&o.QuietPull, "quiet-pull", false, "pull without printing progress information")
	f.BoolVar(&g.build.Force, "build", false, "build images before starting containers, even if present")
	f.BoolVar(&g.build.Never, "no-build", false, "do not build images, even if missing")
	f.BoolVarP(&o.Watch, "watch", "w", false, "watch the services' develop.watch paths and sync, restart or rebuild them; shows logs and watch events together")
	addAttachFlags(f, &o.Attached)
	return cmd
}

func (o *upOptions) validate() error {
	if err := o.Attached.validateWait(o.Wait); err != nil {
		return err
	}
	if o.Wait {
		o.Detach = true
	}
	if o.Watch && (o.Detach || o.NoStart) {
		return usageError{errors.New("--watch cannot be combined with --detach, --wait or --no-start: it follows the running services")}
	}
	if o.ForceRecreate && o.NoRecreate {
		return usageError{errors.New("--force-recreate and --no-recreate are incompatible")}
	}
	return o.Attached.validate(o.Detach)
}

func runUp(ctx context.Context, deps *Deps, g *globalOptions, o *upOptions, args []string) error {
	if g.Swarm {
		return runSwarmUp(ctx, deps, g, o, args)
	}
	if err := o.validate(); err != nil {
		return err
	}
	if err := g.setPull(o.Pull, o.QuietPull); err != nil {
		return err
	}
	p, _, err := g.loadScaled(ctx, deps, o.Scale)
	if err != nil {
		return err
	}
	services, err := selectServices(p, args, o.NoDeps)
	if err != nil {
		return err
	}
	opts := convergence.UpOptions{
		Services: services, ForceRecreate: o.ForceRecreate, NoRecreate: o.NoRecreate, NoStart: o.NoStart,
		RemoveOrphans:    o.RemoveOrphans || envBool(deps.Environ, "COMPOSE_REMOVE_ORPHANS"),
		IgnoreOrphans:    envBool(deps.Environ, "COMPOSE_IGNORE_ORPHANS"),
		RenewAnonVolumes: o.RenewAnonVolumes,
		RecreateVolumes:  o.Yes,
		Timeout:          timeoutOption(o.timeoutSet, o.Timeout),
	}
	if o.Watch {
		return upWatching(ctx, deps, g, p, args, func(converged func()) error {
			o.converged = converged
			return upAttached(ctx, deps, g, p, opts, o, args)
		})
	}
	if !o.Detach && !o.NoStart {
		return upAttached(ctx, deps, g, p, opts, o, args)
	}
	if err := converge(ctx, deps, g, p, opts); err != nil || !o.Wait || g.DryRun {
		return err
	}
	return waitReady(ctx, deps, g, p.Name, services, o.WaitTimeout)
}

// waitReady waits (at most timeout seconds, when positive) until the
// services are running and healthy, or completed.
func waitReady(ctx context.Context, deps *Deps, g *globalOptions, projectName string, services []string, timeout int) error {
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(timeout)*time.Second)
		defer cancel()
	}
	fmt.Fprintln(deps.Stderr, " Waiting for services to be ready")
	if err := convergence.WaitReady(ctx, eng, projectName, services); err != nil {
		return err
	}
	fmt.Fprintln(deps.Stderr, " Services ready")
	return nil
}

// converge observes, plans and applies: the heart of up and scale.
func converge(ctx context.Context, deps *Deps, g *globalOptions, p *project.Project, opts convergence.UpOptions) error {
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	if !g.DryRun {
		lock, err := lockProject(ctx, eng.Endpoint(), p.Name, deps.Stderr)
		if err != nil {
			return err
		}
		defer lock.unlock()
	}
	// Before any build or pull: keys the engine's API cannot honour.
	if err := requireAPI(ctx, eng, p, opts.Services); err != nil {
		return err
	}
	warnSocketMounts(deps.Stderr, p, eng.Endpoint())
	built, err := buildImages(ctx, deps, g, eng, p, convergence.BuildOptions{Services: opts.Services, Force: g.build.Force, Never: g.build.Never}, g.pull.Quiet)
	if err != nil {
		return err
	}
	obs, err := pullAndObserve(ctx, deps, g, eng, p, opts.Services)
	if err != nil {
		return err
	}
	if g.DryRun {
		for _, ref := range built {
			if obs.ImageIDs[ref] == "" {
				obs.ImageIDs[ref] = "sha256:(to be built)"
			}
		}
	}
	plan, err := convergence.PlanUp(p, obs, opts)
	if err == nil && len(plan.VolumeChanges) > 0 && !opts.RecreateVolumes && !g.DryRun {
		if err = confirmVolumeChanges(deps, plan.VolumeChanges); err == nil {
			opts.RecreateVolumes = true
			plan, err = convergence.PlanUp(p, obs, opts)
		}
	}
	if err != nil {
		return err
	}
	return apply(ctx, deps, g, eng, plan)
}

// requireAPI refuses the keys of the services (nil: all) that need a newer
// API than the one negotiated with the engine (convergence.CheckAPI).
func requireAPI(ctx context.Context, eng Engine, p *project.Project, services []string) error {
	ev, err := eng.EngineVersion(ctx)
	if err != nil {
		return err
	}
	return convergence.CheckAPI(p, services, ev)
}

// apply prints the plan's warnings, then either prints the plan (dry run)
// or executes it with plain progress on stderr.
func apply(ctx context.Context, deps *Deps, g *globalOptions, eng Engine, plan *convergence.Plan) error {
	for _, w := range plan.Warnings {
		fmt.Fprintf(deps.Stderr, "WARN[0000] %s\n", w)
	}
	if g.DryRun {
		for _, v := range plan.VolumeChanges {
			fmt.Fprintf(deps.Stderr, "WARN[0000] volume %q exists with a different configuration: up would ask before recreating it (its data would be lost)\n", v)
		}
		fmt.Fprintln(deps.Stderr, "DRY-RUN MODE: nothing is changed")
		for _, a := range plan.Actions {
			fmt.Fprintln(deps.Stdout, a.String())
		}
		for _, n := range plan.Notes {
			fmt.Fprintf(deps.Stdout, "note: %s\n", n)
		}
		return nil
	}
	ui := g.progressView(deps, planView(plan))
	defer ui.done()
	x := &convergence.Executor{Engine: eng, Parallel: parallelLimit(deps), Events: ui.event}
	return x.Apply(ctx, plan)
}

// selectServices returns the services to converge: nil for all, else the
// named ones plus (unless noDeps) everything they depend on.
func selectServices(p *project.Project, names []string, noDeps bool) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	for _, n := range names {
		if _, ok := p.Service(n); !ok {
			return nil, unknownService(p, n)
		}
	}
	if noDeps {
		return names, nil
	}
	return p.WithDependencies(names), nil
}

func unknownService(p *project.Project, name string) error {
	for _, d := range p.DisabledServices {
		if d == name {
			return fmt.Errorf("service %q is disabled by its profiles: enable one of them with --profile", name)
		}
	}
	return fmt.Errorf("no such service: %q (services: %v)", name, p.ServiceNames())
}

func timeoutOption(set bool, seconds int) *time.Duration {
	if !set {
		return nil
	}
	d := time.Duration(seconds) * time.Second
	return &d
}

// unlimitedParallel stands for --parallel -1: no limit of our own.
const unlimitedParallel = 1 << 16

func parallelLimit(deps *Deps) int {
	switch {
	case deps.parallel > 0:
		return deps.parallel
	case deps.parallel == -1:
		return unlimitedParallel
	}
	var n int
	if _, err := fmt.Sscanf(envValue(deps.Environ, "COMPOSE_PARALLEL_LIMIT"), "%d", &n); err == nil && n > 0 {
		return n
	}
	return convergence.DefaultParallel
}
