package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/cmd/cli/render"
	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

type buildOptions struct {
	NoCache bool
	Pull    bool
	Quiet   bool
	// BuildArgs are --build-arg KEY=VALUE (KEY alone: this process's value).
	BuildArgs        []string
	Push             bool
	WithDependencies bool
}

func newBuildCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] [SERVICE...]",
		Short: "Build or rebuild the services' images",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.NoCache, "no-cache", false, "do not use the build cache")
	f.BoolVar(&o.Pull, "pull", false, "always try to pull a newer version of the base images")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors")
	f.StringArrayVar(&o.BuildArgs, "build-arg", nil, "set a build-time variable (KEY=VALUE, or KEY to pass this process's value; repeatable)")
	f.BoolVar(&o.Push, "push", false, "push the images once built")
	f.BoolVar(&o.WithDependencies, "with-dependencies", false, "also build the images of the services the named ones depend on")
	return cmd
}

func runBuild(ctx context.Context, deps *Deps, g *globalOptions, o *buildOptions, args []string) error {
	p, err := g.load(ctx, deps)
	if err != nil {
		return err
	}
	for _, a := range args {
		if _, ok := p.Service(a); !ok {
			return unknownService(p, a)
		}
	}
	var services []string
	if len(args) > 0 {
		services = args
		if o.WithDependencies {
			services = p.WithDependencies(args)
		}
	}
	args2, err := buildArgs(o.BuildArgs, deps.Environ)
	if err != nil {
		return err
	}
	for i := range p.Services {
		if b := p.Services[i].Build; b != nil {
			b.NoCache = b.NoCache || o.NoCache
			b.Pull = b.Pull || o.Pull
			for k, v := range args2 {
				if b.Args == nil {
					b.Args = map[string]string{}
				}
				b.Args[k] = v
			}
		}
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	if _, err = buildImages(ctx, deps, g, eng, p, convergence.BuildOptions{Services: services, Force: true}, o.Quiet); err != nil || !o.Push {
		return err
	}
	var built []string
	for _, s := range p.Services {
		if s.Build != nil && (services == nil || contains(services, s.Name)) {
			built = append(built, s.Name)
		}
	}
	if len(built) == 0 {
		return nil
	}
	return runPush(ctx, deps, g, &pushOptions{Quiet: o.Quiet}, built)
}

// buildArgs parses --build-arg values: KEY=VALUE, or KEY for this
// process's value (left out when unset, as the docker CLI does).
func buildArgs(flags, environ []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if k == "" {
			return nil, usageError{fmt.Errorf("invalid --build-arg %q: use KEY=VALUE or KEY", f)}
		}
		if !ok {
			var set bool
			if v, set = lookupEnv(environ, k); !set {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}

// buildImages builds the images PlanBuilds selects, independent ones in
// parallel (up to the parallel limit) and a service whose build uses
// another's image (additional_contexts: service:NAME) after it, and
// returns the images built (or, in a dry run, to be built). With
// opts.Partial a service whose build fails is returned with its Err and
// the others are built; without it the first failure is the error.
func buildImages(ctx context.Context, deps *Deps, g *globalOptions, eng Engine, p *project.Project, opts convergence.BuildOptions, quiet bool) ([]convergence.Built, error) {
	classic := envValue(deps.Environ, "DOCKER_BUILDKIT") == "0"
	var refs []string
	reqs := map[string]convergence.BuildRequest{}
	inputs := map[string]convergence.BuildInputs{}
	for i := range p.Services {
		s := &p.Services[i]
		if s.Build == nil {
			continue
		}
		refs = append(refs, s.Container.Image)
		req := convergence.BuildRequestFor(p, s)
		req.Classic = classic
		reqs[s.Name] = req
		if opts.Force && !opts.Never && !g.DryRun && (opts.Services == nil || contains(opts.Services, s.Name)) {
			// What a skip needs is read with the images' IDs, in
			// the same round of inspects.
			in := readBuildInputs(req)
			inputs[s.Name] = in
			if in.Blocker == "" {
				refs = append(append(refs, req.Tags[1:]...), in.Images...)
			}
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	present, err := eng.ImageIDs(ctx, refs)
	if err != nil {
		return nil, err
	}
	names := convergence.PlanBuilds(p, present, opts)
	deps_, err := convergence.BuildDeps(p, names)
	if err != nil {
		return nil, err
	}
	if g.DryRun {
		var built []convergence.Built
		for _, name := range buildOrder(names, deps_) {
			svc, _ := p.Service(name)
			fmt.Fprintf(deps.Stdout, "build image %s (service %s)\n", svc.Container.Image, name)
			built = append(built, convergence.Built{Ref: svc.Container.Image, Service: name})
		}
		return built, nil
	}
	inputErrs := map[string]error{}
	for _, name := range names {
		if svc, _ := p.Service(name); svc != nil {
			if err := convergence.CheckBuildInputs(svc.Build); err != nil {
				err = fmt.Errorf("service %q: %w", name, err)
				if !opts.Partial {
					return nil, err
				}
				// Fails in runBuilds, so that what builds on its image
				// fails with it.
				inputErrs[name] = err
			}
		}
	}
	var ui progressUI = quietProgress{}
	if !quiet && len(names) > 0 {
		spec := viewSpec{action: "Building"}
		for _, name := range names {
			svc, _ := p.Service(name)
			spec.expect = append(spec.expect, objectKey{"Image", svc.Container.Image})
		}
		ui = g.progressView(deps, spec)
		defer ui.done()
	}
	records := openBuildRecords(deps, eng.Endpoint())
	digests, unchanged := map[string]string{}, map[string]bool{}
	for _, name := range names {
		req := reqs[name]
		if in, ok := inputs[name]; ok {
			digests[name] = convergence.InputsDigest(req, in, present)
			unchanged[name] = convergence.BuildUnchanged(digests[name], records.get(req.Tags[0]), req.Tags, present)
		}
	}
	var attemptedMu sync.Mutex
	attempted := map[string]bool{}
	refs, failed, err := runBuilds(ctx, names, deps_, parallelLimit(deps), opts.Partial, func(ctx context.Context, name string) (string, error) {
		attemptedMu.Lock()
		attempted[name] = true
		attemptedMu.Unlock()
		req := reqs[name]
		if err := inputErrs[name]; err != nil {
			ui.event(convergence.Event{Object: "Image", Name: req.Tags[0], Status: "Error", Detail: err.Error()})
			return "", err
		}
		if unchanged[name] {
			ui.event(convergence.Event{Object: "Image", Name: req.Tags[0], Status: "Built", Detail: "unchanged"})
			return req.Tags[0], nil
		}
		ref, id, err := buildOne(ctx, eng, name, req, ui)
		if err == nil {
			if werr := records.put(ref, convergence.BuildRecord{Digest: digests[name], ID: id}); werr != nil {
				fmt.Fprintf(deps.Stderr, "WARN[0000] could not record the build of %s: %v\n", ref, werr)
			}
		}
		return ref, err
	})
	service := map[string]string{}
	for _, name := range names {
		service[reqs[name].Tags[0]] = name
	}
	built := make([]convergence.Built, 0, len(refs)+len(failed))
	for _, ref := range refs {
		built = append(built, convergence.Built{Ref: ref, Service: service[ref]})
	}
	for _, name := range names {
		if e := failed[name]; e != nil {
			if !attempted[name] {
				// Not built because the image its build uses failed: its
				// line says so too.
				ui.event(convergence.Event{Object: "Image", Name: reqs[name].Tags[0], Status: "Error", Detail: e.Error()})
			}
			built = append(built, convergence.Built{Ref: reqs[name].Tags[0], Service: name, Err: e})
		}
	}
	return built, err
}

// readBuildInputs reads what the skip decision of req needs (a stat walk
// of its context); a failure just means the build runs, and says why if
// the build fails too.
func readBuildInputs(req convergence.BuildRequest) convergence.BuildInputs {
	in, err := convergence.ReadBuildInputs(req)
	if err != nil {
		in.Blocker = err.Error()
	}
	return in
}

// buildOrder lists names with each after its dependencies, otherwise in
// the given order (deps has no cycle: BuildDeps checked).
func buildOrder(names []string, deps map[string][]string) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, d := range deps[n] {
			visit(d)
		}
		out = append(out, n)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}

// buildOne builds one service's image and reports it as an Image line
// with the builder's steps as its child lines; it returns the reference
// and the image ID.
func buildOne(ctx context.Context, eng Engine, service string, req convergence.BuildRequest, ui progressUI) (ref, id string, err error) {
	ref = req.Tags[0]
	parent := objectKey{"Image", ref}
	start := time.Now()
	id, err = eng.BuildImage(ctx, req, func(bp convergence.BuildProgress) {
		switch {
		case bp.Builder != "":
			ui.event(convergence.Event{Object: "Image", Name: ref, Status: "Building", Detail: bp.Builder})
		case bp.Output != "":
			ui.child(childEvent{Kind: "Step", ID: bp.Step, Parent: parent, Status: convergence.StepRunning, Output: bp.Output, State: render.Working})
		default:
			ui.child(childEvent{Kind: "Step", ID: bp.Step, Parent: parent, Status: bp.State, Detail: bp.Detail, State: stepState(bp.State)})
		}
	})
	if err != nil {
		ui.event(convergence.Event{Object: "Image", Name: ref, Status: "Error", Detail: err.Error()})
		return ref, "", fmt.Errorf("service %q: %w", service, err)
	}
	ui.event(convergence.Event{Object: "Image", Name: ref, Status: "Built", Detail: time.Since(start).Round(time.Millisecond).String()})
	return ref, id, nil
}

// stepState is how the live view draws a build step.
func stepState(s string) render.State {
	switch s {
	case convergence.StepDone, convergence.StepCached:
		return render.Done
	case convergence.StepError:
		return render.Failed
	}
	return render.Working
}

// runBuilds runs build for each name once its dependencies are built, at
// most limit at a time; the references built are in the order they
// finished. Without partial, after a failure it starts nothing new, lets
// the builds in flight finish, and returns the first error. With partial
// (up, create) a failure stops only the builds that use its image, which
// fail naming it; the others go on, and every failure is in failed, by
// name (err is then only a cancellation).
func runBuilds(ctx context.Context, names []string, deps map[string][]string, limit int, partial bool, build func(context.Context, string) (string, error)) (built []string, failed map[string]error, err error) {
	if limit < 1 {
		limit = 1
	}
	done := map[string]chan struct{}{}
	for _, n := range names {
		done[n] = make(chan struct{})
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	failed = map[string]error{}
	stop := make(chan struct{}) // closed on the first failure without partial
	var stopOnce sync.Once
	fail := func(n string, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed[n] = err
		if !partial || ctx.Err() != nil {
			stopOnce.Do(func() { firstErr = err; close(stop) })
		}
	}
	sem := make(chan struct{}, limit)
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[n])
			for _, d := range deps[n] {
				select {
				case <-done[d]:
				case <-stop:
					return
				}
				mu.Lock()
				depErr := failed[d]
				mu.Unlock()
				if depErr != nil {
					fail(n, fmt.Errorf("service %q: not built: its build uses the image of service %q, whose build failed", n, d))
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-stop:
				return
			}
			defer func() { <-sem }()
			select {
			case <-stop:
				return
			default:
			}
			if err := ctx.Err(); err != nil {
				fail(n, err)
				return
			}
			ref, err := build(ctx, n)
			if err != nil {
				fail(n, err)
				return
			}
			mu.Lock()
			built = append(built, ref)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return built, nil, firstErr
	}
	if len(failed) == 0 {
		failed = nil
	}
	return built, failed, nil
}
