package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type execOptions struct {
	Detach      bool
	Env         []string
	User        string
	Workdir     string
	Index       int
	Privileged  bool
	NoTty       bool
	Interactive bool
}

func newExecCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &execOptions{}
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] SERVICE COMMAND [ARGS...]",
		Short: "Execute a command in a running container",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExec(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false) // flags after SERVICE belong to the command
	f.BoolVarP(&o.Detach, "detach", "d", false, "detached mode: run the command in the background")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set environment variables (KEY=VALUE, or KEY to pass this process's value)")
	f.StringVarP(&o.User, "user", "u", "", "run the command as this user")
	f.StringVarP(&o.Workdir, "workdir", "w", "", "path to workdir directory for this command")
	f.IntVar(&o.Index, "index", 0, "index of the container if the service has multiple replicas (default 1)")
	f.BoolVar(&o.Privileged, "privileged", false, "give extended privileges to the process")
	f.BoolVarP(&o.NoTty, "no-TTY", "T", false, "disable pseudo-TTY allocation (default: a TTY when stdin is a terminal); also --no-tty")
	acceptNoTTYSpellings(cmd)
	f.BoolVarP(&o.Interactive, "interactive", "i", true, "keep stdin open")
	return cmd
}

// runExec runs a command in a service's running container and returns the
// command's exit code as the process's.
func runExec(ctx context.Context, deps *Deps, g *globalOptions, o *execOptions, args []string) error {
	service, command := args[0], args[1:]
	t, c, err := g.replica(ctx, deps, service, o.Index)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	if c.State != "running" {
		return fmt.Errorf("container %q of service %q is %s, not running: start it with `mycompose start %s`", c.Name, service, c.State, service)
	}
	tty := !o.NoTty && !o.Detach && isTerminal(deps.Stdin)
	spec := convergence.ExecSpec{Cmd: command, Env: envArgs(o.Env, deps.Environ), User: o.User, WorkingDir: o.Workdir,
		Privileged: o.Privileged, Tty: tty, Detach: o.Detach}
	stdio := convergence.Stdio{Stdout: deps.Stdout, Stderr: deps.Stderr, Tty: tty}
	if o.Interactive && !o.Detach {
		stdio.Stdin = deps.Stdin
	}
	if tty {
		term, err := rawTerminal(deps.Stdin)
		if err != nil {
			return err
		}
		defer term.restore()
		stdio.Resize = term.resizes()
		term.refresh()
	}
	code, err := t.eng.Exec(ctx, c.ID, spec, stdio)
	if err != nil {
		return err
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// envArgs resolves -e arguments: KEY=VALUE as given, and a bare KEY to
// this process's value (dropped when unset), as the docker CLI does.
func envArgs(args, environ []string) []string {
	var out []string
	for _, a := range args {
		switch {
		case a == "":
		case strings.Contains(a, "="):
			out = append(out, a)
		default:
			for i := len(environ) - 1; i >= 0; i-- {
				if k, _, ok := strings.Cut(environ[i], "="); ok && k == a {
					out = append(out, environ[i])
					break
				}
			}
		}
	}
	return out
}
