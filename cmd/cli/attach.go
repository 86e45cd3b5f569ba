package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type attachCmdOptions struct {
	Index      int
	DetachKeys string
	NoStdin    bool
	SigProxy   bool
}

func newAttachCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &attachCmdOptions{}
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] SERVICE",
		Short: "Attach local standard input, output and error to a service's running container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttach(cmd.Context(), deps, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Index, "index", 0, "index of the container if the service has several replicas")
	f.StringVar(&o.DetachKeys, "detach-keys", "", "override the key sequence for detaching from a container")
	f.BoolVar(&o.NoStdin, "no-stdin", false, "do not attach standard input")
	f.BoolVar(&o.SigProxy, "sig-proxy", true, "proxy received signals to the process")
	return cmd
}

// runAttach connects to the container's main process until its output
// ends (the container stopped, or the detach keys were typed). With
// --sig-proxy, Ctrl-C and SIGTERM are forwarded to the process instead of
// ending mycompose.
func runAttach(ctx context.Context, deps *Deps, g *globalOptions, o *attachCmdOptions, service string) error {
	t, c, err := g.replica(ctx, deps, service, o.Index)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	calls := context.WithoutCancel(ctx)
	details, err := t.eng.ContainerState(calls, c.ID)
	if err != nil {
		return err
	}
	if !details.Running {
		return fmt.Errorf("cannot attach to container %s: it is not running (start it with `mycompose start %s`)", c.Name, service)
	}
	tty := details.Tty && !o.NoStdin && isTerminal(deps.Stdin)
	var term *terminal
	if tty {
		if term, err = rawTerminal(deps.Stdin); err != nil {
			return err
		}
		defer term.restore()
	}
	stdio := convergence.Stdio{Stdout: deps.Stdout, Stderr: deps.Stderr, Tty: details.Tty, Resize: term.resizes(), DetachKeys: o.DetachKeys}
	if !o.NoStdin {
		stdio.Stdin = deps.Stdin
	}
	output, err := t.eng.AttachContainer(calls, c.ID, stdio)
	if err != nil {
		return err
	}
	if term != nil {
		term.refresh()
	}
	select {
	case err := <-output:
		return err
	case <-ctx.Done():
	}
	if !o.SigProxy {
		return ctx.Err()
	}
	// The first signal goes to the process; its exit ends the output.
	if err := t.eng.KillContainer(calls, c.ID, interruptSignal(ctx)); err != nil {
		return err
	}
	return <-output
}
