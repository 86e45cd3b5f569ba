package cli

import (
	"context"
	"fmt"
	"sync"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type waitOptions struct {
	DownProject bool
}

func newWaitCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &waitOptions{}
	cmd := &cobra.Command{
		Use:   "wait SERVICE [SERVICE...]",
		Short: "Block until containers of all (or specified) services stop",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWait(cmd.Context(), deps, g, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.DownProject, "down-project", false, "drop the project once the first container stops")
	return cmd
}

// runWait waits for every container of the services to stop, prints each
// exit code, and exits with the code of the last one to stop.
func runWait(ctx context.Context, deps *Deps, g *globalOptions, o *waitOptions, args []string) error {
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	cs, err := t.containers(ctx)
	if err != nil {
		return err
	}
	targets := selectContainers(cs, args, 0, false)
	if len(targets) == 0 {
		return fmt.Errorf("no containers for services %v of project %q", args, t.name)
	}
	var (
		mu   sync.Mutex
		last int
		errs []error
		wg   sync.WaitGroup
	)
	first := make(chan struct{})
	var once sync.Once
	for _, c := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := <-t.eng.WaitContainer(ctx, c.ID, convergence.WaitNotRunning)
			mu.Lock()
			defer mu.Unlock()
			if res.Err != nil {
				errs = append(errs, res.Err)
				return
			}
			fmt.Fprintf(deps.Stdout, "container %q exited with status code %d\n", c.Name, res.Code)
			last = res.Code
			once.Do(func() { close(first) })
		}()
	}
	if o.DownProject {
		select {
		case <-first:
		case <-ctx.Done():
		}
		if ctx.Err() == nil {
			return runDown(ctx, deps, g, &downOptions{}, nil)
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(errs) > 0 {
		return errs[0]
	}
	if last != 0 {
		return &ExitError{Code: last}
	}
	return nil
}
