package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// attachOptions are the flags of `up` in attached mode.
type attachOptions struct {
	NoColor            bool
	NoLogPrefix        bool
	Timestamps         bool
	AbortOnExit        bool
	AbortOnFailure     bool
	ExitCodeFrom       string
	Attach             []string
	NoAttach           []string
	AttachDependencies bool
}

func addAttachFlags(f *pflag.FlagSet, o *attachOptions) {
	f.BoolVar(&o.NoColor, "no-color", false, "produce monochrome output")
	f.BoolVar(&o.NoLogPrefix, "no-log-prefix", false, "don't print a prefix in logs")
	f.BoolVar(&o.Timestamps, "timestamps", false, "show timestamps")
	f.BoolVar(&o.AbortOnExit, "abort-on-container-exit", false, "stop all containers if any container was stopped; incompatible with -d")
	f.BoolVar(&o.AbortOnFailure, "abort-on-container-failure", false, "stop all containers if any container exited with failure; incompatible with -d")
	f.StringVar(&o.ExitCodeFrom, "exit-code-from", "", "return the exit code of the selected service container; implies --abort-on-container-exit")
	f.StringArrayVar(&o.Attach, "attach", nil, "restrict attaching to the specified services; incompatible with --attach-dependencies")
	f.StringArrayVar(&o.NoAttach, "no-attach", nil, "do not attach (stream logs) to the specified services")
	f.BoolVar(&o.AttachDependencies, "attach-dependencies", false, "automatically attach to log output of dependent services")
}

// validateWait refuses what --wait (which implies -d) cannot do.
func (o *attachOptions) validateWait(wait bool) error {
	if wait && (o.AttachDependencies || o.AbortOnExit || o.AbortOnFailure || o.ExitCodeFrom != "" || len(o.Attach) > 0) {
		return usageError{errors.New("--wait cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies")}
	}
	return nil
}

// validate checks the flag combinations as Docker Compose does.
func (o *attachOptions) validate(detach bool) error {
	if o.ExitCodeFrom != "" && !o.AbortOnFailure {
		o.AbortOnExit = true
	}
	switch {
	case o.AbortOnExit && o.AbortOnFailure:
		return usageError{errors.New("--abort-on-container-failure cannot be combined with --abort-on-container-exit")}
	case detach && (o.AttachDependencies || o.AbortOnExit || o.AbortOnFailure || len(o.Attach) > 0):
		return usageError{errors.New("--detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach or --attach-dependencies")}
	case len(o.Attach) > 0 && o.AttachDependencies:
		return usageError{errors.New("cannot combine --attach and --attach-dependencies")}
	}
	return nil
}

// attachedServices returns the services whose logs `up` shows: --attach,
// else the named services (plus their dependencies with
// --attach-dependencies), else all; minus --no-attach.
func (o *attachOptions) attachedServices(p *project.Project, args []string) ([]string, error) {
	if o.ExitCodeFrom != "" {
		if _, ok := p.Service(o.ExitCodeFrom); !ok {
			return nil, unknownService(p, o.ExitCodeFrom)
		}
	}
	inUp, err := selectServices(p, args, false)
	if err != nil {
		return nil, err
	}
	if inUp == nil {
		inUp = p.ServiceNames()
	}
	var out []string
	switch {
	case len(o.Attach) > 0:
		var unexpected []string
		for _, s := range o.Attach {
			if !contains(inUp, s) {
				unexpected = append(unexpected, s)
			}
		}
		if len(unexpected) > 0 {
			return nil, fmt.Errorf("cannot attach to services not included in up: %s", strings.Join(unexpected, ", "))
		}
		out = o.Attach
	case len(args) > 0 && o.AttachDependencies:
		out = p.WithDependencies(args)
	case len(args) > 0:
		out = args
	default:
		out = inUp
	}
	explicit := len(o.Attach) > 0
	var kept []string
	for _, s := range out {
		if svc, ok := p.Service(s); ok && svc.Detached && !explicit {
			continue
		}
		if !contains(o.NoAttach, s) && !contains(kept, s) {
			kept = append(kept, s)
		}
	}
	sort.Strings(kept)
	return kept, nil
}

// upAttached converges like `up -d`, then shows the logs of the attached
// services until they have all exited. The first Ctrl-C stops the
// project's containers gracefully and exits 130; a second one kills them.
func upAttached(ctx context.Context, deps *Deps, g *globalOptions, req convergence.Request, o *upOptions, args []string) error {
	p := req.Project
	attached, err := o.Attached.attachedServices(p, args)
	if err != nil {
		return err
	}
	scope := req.Up.Services
	if scope == nil {
		scope = p.ServiceNames()
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	followCtx, stopFollowing := context.WithCancel(ctx)
	defer stopFollowing()
	since := time.Now()
	events, errs := eng.Events(followCtx, p.Name)
	if _, err := g.runPipeline(ctx, deps, eng, req, nil); err != nil || g.DryRun {
		return err
	}
	if o.converged != nil {
		o.converged()
	}
	listedAt := time.Now()
	cs, err := eng.ListContainers(ctx, p.Name)
	if err != nil {
		return err
	}
	a := &attachedRun{deps: deps, eng: eng, p: p, scope: scope, timeout: req.Up.Timeout, o: &o.Attached,
		exitCodeFrom: o.Attached.ExitCodeFrom,
		printer:      newLogPrinter(deps.Stdout, deps.Stderr, colorOutput(deps, o.Attached.NoColor), !o.Attached.NoLogPrefix)}
	selected := func(r project.Replica) bool {
		return !r.OneOff && contains(attached, r.Service)
	}
	var names []string
	for _, c := range cs {
		if selected(c.Replica) {
			names = append(names, displayName(c.Name, c.Replica))
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		fmt.Fprintf(deps.Stdout, "Attaching to %s\n", strings.Join(names, ", "))
	}
	f := &follower{eng: eng, printer: a.printer, selected: selected, base: since, onExit: a.exited,
		ending:  func() bool { return a.aborting },
		initial: convergence.LogOptions{Follow: true, Since: since, Timestamps: o.Attached.Timestamps},
		stderr:  func(format string, args ...any) { fmt.Fprintf(deps.Stderr, format, args...) }}
	// With --watch, up runs until Ctrl-C: a rebuild or a restart may leave
	// nothing running for a moment, and the watch goes on regardless.
	err = f.run(followCtx, events, errs, cs, listedAt, len(names) > 0 && !o.Watch)
	if ctx.Err() != nil {
		return a.interrupted(ctx)
	}
	if err != nil {
		return err
	}
	if a.stopErr != nil {
		return a.stopErr
	}
	if a.exitCode != 0 {
		return &ExitError{Code: a.exitCode}
	}
	return nil
}

// attachedRun is the state of an attached `up` once converged.
type attachedRun struct {
	deps    *Deps
	eng     Engine
	p       *project.Project
	scope   []string
	timeout *time.Duration
	o       *attachOptions
	printer *logPrinter

	aborting     bool
	exitCodeFrom string
	exitCode     int
	stopErr      error
}

// exited handles the exit of an attached container, as Docker Compose's
// log printer does: report it, and with --abort-on-container-exit (or a
// failure with --abort-on-container-failure) stop everything, keeping the
// exit code of the chosen service (else of the first to exit).
func (a *attachedRun) exited(name, service string, code int) {
	if !a.aborting {
		a.printer.status(name, service, fmt.Sprintf("exited with code %d", code))
	}
	cascade := a.o.AbortOnExit || (a.o.AbortOnFailure && code != 0)
	if cascade && !a.aborting {
		a.aborting = true
		if a.o.AbortOnFailure {
			a.exitCodeFrom = service
		}
		fmt.Fprintln(a.deps.Stdout, "Aborting on container exit...")
		a.stopErr = a.stop(context.Background())
	}
	if a.aborting {
		if a.exitCodeFrom == "" {
			a.exitCodeFrom = service
		}
		if a.exitCodeFrom == service {
			a.exitCode = code
		}
	}
}

// stop stops the containers of the services of this up, dependents first.
func (a *attachedRun) stop(ctx context.Context) error {
	// No lock: up's was released when it converged, and a concurrent
	// command must not hold the stop of a Ctrl-C.
	pl := &convergence.Pipeline{Engine: a.eng, Parallel: parallelLimit(a.deps), Hooks: convergence.Hooks{
		Progress: func(convergence.StageStart) convergence.StageOutput {
			return convergence.StageOutput{Events: plainProgress(a.deps.Stderr)}
		},
		Warn: func(msg string) { fmt.Fprintf(a.deps.Stderr, "WARN[0000] %s\n", msg) },
	}}
	_, err := pl.Run(ctx, convergence.Request{Op: convergence.OpStop, Project: a.p, Services: a.scope, Timeout: a.timeout})
	return err
}

// interrupted stops gracefully after a first Ctrl-C; a second one kills
// whatever still runs, which ends the stops in flight.
func (a *attachedRun) interrupted(ctx context.Context) error {
	fmt.Fprintln(a.deps.Stderr, "Gracefully stopping... (press Ctrl+C again to force)")
	calls := context.WithoutCancel(ctx)
	release := onForce(ctx, func() { a.kill(calls) })
	defer release()
	if err := a.stop(calls); err != nil {
		return err
	}
	return &ExitError{Code: 130}
}

// kill sends SIGKILL to the running containers of this up.
func (a *attachedRun) kill(ctx context.Context) {
	cs, err := a.eng.ListContainers(ctx, a.p.Name)
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	for _, c := range inStates(selectContainers(cs, a.scope, 0, false), "running", "restarting", "paused") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.eng.KillContainer(ctx, c.ID, "SIGKILL")
		}()
	}
	wg.Wait()
}
