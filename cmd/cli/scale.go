package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

type scaleOptions struct {
	NoDeps bool
}

func newScaleCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &scaleOptions{}
	cmd := &cobra.Command{
		Use:   "scale [OPTIONS] SERVICE=REPLICAS...",
		Short: "Scale services",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("scale needs at least one SERVICE=REPLICAS argument, for example: mycompose scale web=3")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScale(cmd.Context(), deps, g, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.NoDeps, "no-deps", false, "do not start linked services")
	return cmd
}

func runScale(ctx context.Context, deps *Deps, g *globalOptions, o *scaleOptions, args []string) error {
	if g.Swarm {
		return runSwarmScale(ctx, deps, g, args)
	}
	defer g.preconnect(ctx, deps)()
	p, names, err := g.loadScaled(ctx, deps, args)
	if err != nil {
		return err
	}
	services, err := selectServices(p, names, o.NoDeps)
	if err != nil {
		return err
	}
	return g.connectAndRun(ctx, deps, convergence.Request{Op: convergence.OpUp, Project: p,
		Up: convergence.UpOptions{Services: services, IgnoreOrphans: true}})
}

// loadScaled loads the project and applies SERVICE=REPLICAS arguments to
// it; it returns the scaled services, sorted.
func (g *globalOptions) loadScaled(ctx context.Context, deps *Deps, args []string) (*project.Project, []string, error) {
	scale, err := parseScaleArgs(args)
	if err != nil {
		return nil, nil, err
	}
	p, err := g.load(ctx, deps)
	if err != nil {
		return nil, nil, err
	}
	if err := applyScale(p, scale); err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(scale))
	for n := range scale {
		names = append(names, n)
	}
	sort.Strings(names)
	return p, names, nil
}

// parseScaleArgs parses SERVICE=REPLICAS arguments.
func parseScaleArgs(args []string) (map[string]int, error) {
	out := make(map[string]int, len(args))
	for _, arg := range args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			return nil, usageError{fmt.Errorf("invalid scale argument %q: expected SERVICE=REPLICAS, for example web=3", arg)}
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return nil, usageError{fmt.Errorf("invalid scale argument %q: replicas must be a non-negative integer, for example %s=3", arg, name)}
		}
		out[name] = n
	}
	return out, nil
}

// applyScale overrides the replicas of the named services.
func applyScale(p *project.Project, scale map[string]int) error {
	names := make([]string, 0, len(scale))
	for n := range scale {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s, ok := p.Service(n)
		if !ok {
			return unknownService(p, n)
		}
		s.Replicas = scale[n]
	}
	return nil
}
