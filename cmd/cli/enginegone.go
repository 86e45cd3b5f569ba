package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

// An engine that goes away in the middle of a command (restarted, its
// connection dropped) ends the command with one line: what it was doing,
// that the engine went away, and what finishes the job. The adapter tells
// a lost engine from its answers (convergence.ErrEngineGone) and, for a
// remote engine, pings it while the command runs so that a silent drop
// ends streams (logs -f, attach, exec, watch) instead of hanging.

// engineLiveness is what the Docker adapter offers beyond Engine; fakes
// need not implement it.
type engineLiveness interface {
	// Heartbeat pings a remote engine until Close and cuts every
	// connection when it stops answering.
	Heartbeat()
	// Lost returns the *convergence.EngineGoneError err means, or nil.
	Lost(op string, err error) error
	// Gone returns a *convergence.EngineGoneError when the engine went
	// away during the command, whatever error the command saw.
	Gone(ctx context.Context) error
	// Done is closed when the engine is found gone during the command.
	Done() <-chan struct{}
}

// finishedBy says, per command, what to run once the engine answers again.
// Converging commands are level-based: running them again finishes the job.
var finishedBy = map[string]string{
	"up": "up", "create": "create", "scale": "up", "watch": "watch", "run": "up",
	"down": "down", "start": "start", "stop": "stop", "restart": "restart", "kill": "kill", "rm": "rm",
	"pause": "pause", "unpause": "unpause", "build": "build", "pull": "pull", "push": "push",
}

// engineGoneError is a command's error when its engine went away.
type engineGoneError struct {
	cmd  string
	gone *convergence.EngineGoneError
}

func (e *engineGoneError) Error() string {
	hint := "run it again once the engine answers"
	if again, ok := finishedBy[e.cmd]; ok {
		hint = fmt.Sprintf("run `mycompose %s` again to finish", again)
	}
	return fmt.Sprintf("%s: %s; %s", e.cmd, e.gone.Error(), hint)
}

func (e *engineGoneError) Unwrap() error { return e.gone }

// watchEngine starts the heartbeat of an engine that answered, keeps it
// for engineGone, and cancels the command when the engine goes away (a
// command may be waiting on something else: watch waits on files).
func (g *globalOptions) watchEngine(eng Engine) {
	g.engines = append(g.engines, eng)
	l, ok := eng.(engineLiveness)
	if !ok {
		return
	}
	l.Heartbeat()
	if cancel, ctx := g.cancelCommand, g.commandCtx; cancel != nil {
		go func() {
			select {
			case <-l.Done():
				g.goneSeen.Store(true)
				cancel(convergence.ErrEngineGone)
			case <-ctx.Done(): // the command ended
			}
		}()
	}
}

// engineGone turns the error of a command whose engine went away into one
// engineGoneError (the first loss found: parallel calls fail together);
// other errors are returned as they are.
func (g *globalOptions) engineGone(cmd string, err error) error {
	if err == nil {
		return nil
	}
	var exit *ExitError
	if !g.goneSeen.Load() && (errors.Is(err, context.Canceled) || errors.As(err, &exit)) {
		return err
	}
	var gone *convergence.EngineGoneError
	if !errors.As(err, &gone) {
		for _, eng := range g.engines {
			l, ok := eng.(engineLiveness)
			if !ok {
				continue
			}
			// The error itself, else the engine's state: a stopping
			// daemon answers oddly before its connections close.
			lost := l.Lost("", err)
			if lost == nil {
				lost = l.Gone(context.Background())
			}
			if lost != nil && errors.As(lost, &gone) {
				break
			}
		}
	}
	if gone == nil {
		return err
	}
	return &engineGoneError{cmd: cmd, gone: gone}
}

// wrapEngineGone makes every command's error go through engineGone.
func wrapEngineGone(c *cobra.Command, g *globalOptions) {
	if run := c.RunE; run != nil {
		name := c.Name()
		c.RunE = func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithCancelCause(cmd.Context())
			defer cancel(nil)
			cmd.SetContext(ctx)
			g.cancelCommand, g.commandCtx = cancel, ctx
			return g.engineGone(name, run(cmd, args))
		}
	}
	for _, sub := range c.Commands() {
		wrapEngineGone(sub, g)
	}
}
