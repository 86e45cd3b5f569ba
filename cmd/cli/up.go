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
	Build            bool
	NoBuild          bool
	// Watch runs a watch of the develop.watch rules alongside (--watch).
	Watch bool
	// ResolveImage and WithRegistryAuth are docker stack deploy's
	// (--swarm only; see swarm.go).
	ResolveImage     string
	WithRegistryAuth bool
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
	f.BoolVar(&o.Build, "build", false, "build images before starting containers, even if present")
	f.BoolVar(&o.NoBuild, "no-build", false, "do not build images, even if missing")
	f.BoolVarP(&o.Watch, "watch", "w", false, "watch the services' develop.watch paths and sync, restart or rebuild them; shows logs and watch events together")
	f.StringVar(&o.ResolveImage, "resolve-image", "always", `--swarm: pin each image to the digest its registry reports ("always") or deploy the tags as they are ("never")`)
	f.BoolVar(&o.WithRegistryAuth, "with-registry-auth", false, "--swarm: send the registry credentials of the Docker CLI config to the nodes, for their pulls")
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
	if o.WithRegistryAuth || o.ResolveImage != "always" {
		return usageError{errors.New("--resolve-image and --with-registry-auth apply to Swarm stacks: add --swarm")}
	}
	if err := o.validate(); err != nil {
		return err
	}
	policy, err := pullPolicyFlag(o.Pull)
	if err != nil {
		return err
	}
	defer g.preconnect(ctx, deps)()
	p, _, err := g.loadScaled(ctx, deps, o.Scale)
	if err != nil {
		return err
	}
	services, err := selectServices(p, args, o.NoDeps)
	if err != nil {
		return err
	}
	req := convergence.Request{Op: convergence.OpUp, Project: p,
		Up: convergence.UpOptions{
			Services: services, ForceRecreate: o.ForceRecreate, NoRecreate: o.NoRecreate, NoStart: o.NoStart,
			RemoveOrphans:    o.RemoveOrphans || envBool(deps.Environ, "COMPOSE_REMOVE_ORPHANS"),
			IgnoreOrphans:    envBool(deps.Environ, "COMPOSE_IGNORE_ORPHANS"),
			RenewAnonVolumes: o.RenewAnonVolumes,
			RecreateVolumes:  o.Yes,
			Timeout:          timeoutOption(o.timeoutSet, o.Timeout),
		},
		PullPolicy: policy, Quiet: o.QuietPull,
		Build: convergence.BuildOptions{Force: o.Build, Never: o.NoBuild},
		Wait:  o.Wait, WaitTimeout: time.Duration(o.WaitTimeout) * time.Second,
	}
	if o.Watch {
		return upWatching(ctx, deps, g, p, args, func(converged func()) error {
			o.converged = converged
			return upAttached(ctx, deps, g, req, o, args)
		})
	}
	if !o.Detach && !o.NoStart {
		return upAttached(ctx, deps, g, req, o, args)
	}
	return g.connectAndRun(ctx, deps, req)
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
