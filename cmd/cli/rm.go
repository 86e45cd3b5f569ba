package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type rmOptions struct {
	Force   bool
	Stop    bool
	Volumes bool
}

func newRmCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &rmOptions{}
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] [SERVICE...]",
		Short: "Removes stopped service containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRm(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	shadowGlobal(f, g, "file")
	f.BoolVarP(&o.Force, "force", "f", false, "don't ask to confirm removal")
	f.BoolVarP(&o.Stop, "stop", "s", false, "stop the containers, if required, before removing")
	f.BoolVarP(&o.Volumes, "volumes", "v", false, "remove any anonymous volumes attached to containers")
	return cmd
}

// runRm removes the stopped containers of the services; with -s it stops
// the running ones first (dependents first), so it removes them all.
func runRm(ctx context.Context, deps *Deps, g *globalOptions, o *rmOptions, args []string) error {
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	cs, err := t.containers(ctx)
	if err != nil {
		return err
	}
	candidates := selectContainers(cs, args, 0, false)
	if !o.Stop {
		candidates = inStates(candidates, "created", "exited", "dead")
	}
	if len(candidates) == 0 {
		fmt.Fprintln(deps.Stderr, "No stopped containers")
		return nil
	}
	names := make([]string, len(candidates))
	for i, c := range candidates {
		names[i] = c.Name
	}
	msg := "Going to remove " + strings.Join(names, ", ")
	if !o.Force && !g.DryRun {
		ok, err := confirmRemoval(deps, msg, names)
		if err != nil || !ok {
			return err
		}
	} else {
		fmt.Fprintln(deps.Stdout, msg)
	}
	unlock, err := t.lock(ctx, deps, g)
	if err != nil {
		return err
	}
	defer unlock()
	if o.Stop {
		var services []string
		if len(args) > 0 {
			services = args
		}
		pl := g.newPipeline(deps, t.eng, nil)
		pl.Lock = nil // rm holds it already
		res, err := pl.Run(ctx, convergence.Request{Op: convergence.OpStop, Project: t.p, Name: t.name, Services: services, DryRun: g.DryRun})
		if err != nil {
			return err
		}
		if g.DryRun {
			printDryRun(deps, res)
		}
	}
	if g.DryRun {
		for _, c := range candidates {
			fmt.Fprintf(deps.Stdout, "remove container %s\n", c.Name)
		}
		return nil
	}
	return eachContainer(ctx, deps, candidates, "Removing", "Removed", func(ctx context.Context, c convergence.Container) error {
		err := t.eng.RemoveContainer(ctx, c.ID, o.Volumes)
		if convergence.IsNotFound(err) {
			return nil // removed meanwhile (auto-remove, another rm): the goal holds
		}
		return err
	})
}

// confirmRemoval asks a yes/no question on the terminal. Without a terminal there
// is nobody to answer, so it fails and names the flag that skips it.
func confirmRemoval(deps *Deps, msg string, names []string) (bool, error) {
	if !isTerminal(deps.Stdin) {
		return false, fmt.Errorf("removing %s needs a confirmation, but stdin is not a terminal: run again with -f (--force) to remove without asking",
			strings.Join(names, ", "))
	}
	fmt.Fprintf(deps.Stdout, "%s\nAre you sure? [yN] ", msg)
	answer, _ := bufio.NewReader(deps.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
