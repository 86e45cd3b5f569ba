package cli

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/containerd/console"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mycompose/mycompose/convergence"
)

// terminal is the local terminal while exec or run drive a remote TTY: raw
// mode, so that keys (Ctrl-C included) reach the container, and the size,
// followed on SIGWINCH.
type terminal struct {
	c      console.Console
	sizes  chan convergence.TermSize
	winch  chan os.Signal
	closed chan struct{}
}

// rawTerminal puts stdin, which must be a terminal, in raw mode.
func rawTerminal(stdin any) (*terminal, error) {
	f, ok := stdin.(*os.File)
	if !ok {
		return nil, fmt.Errorf("stdin is not a terminal")
	}
	c, err := console.ConsoleFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("stdin is not a terminal: %w", err)
	}
	if err := c.SetRaw(); err != nil {
		return nil, fmt.Errorf("set the terminal to raw mode: %w", err)
	}
	if err := rawOutput(f.Fd()); err != nil {
		c.Reset()
		return nil, fmt.Errorf("set the terminal to raw mode: %w", err)
	}
	t := &terminal{c: c, sizes: make(chan convergence.TermSize, 1), winch: make(chan os.Signal, 1), closed: make(chan struct{})}
	signal.Notify(t.winch, syscall.SIGWINCH)
	go func() {
		for {
			select {
			case <-t.winch:
				t.refresh()
			case <-t.closed:
				return
			}
		}
	}()
	return t, nil
}

// refresh sends the current size; a size not yet taken is replaced.
func (t *terminal) refresh() {
	ws, err := t.c.Size()
	if err != nil || ws.Height == 0 || ws.Width == 0 {
		return
	}
	s := convergence.TermSize{Height: uint(ws.Height), Width: uint(ws.Width)}
	for {
		select {
		case t.sizes <- s:
			return
		default:
			select {
			case <-t.sizes:
			default:
			}
		}
	}
}

// resizes is the channel of sizes for convergence.Stdio; nil for no terminal.
func (t *terminal) resizes() <-chan convergence.TermSize {
	if t == nil {
		return nil
	}
	return t.sizes
}

// restore leaves raw mode.
func (t *terminal) restore() {
	if t == nil {
		return
	}
	signal.Stop(t.winch)
	close(t.closed)
	t.c.Reset()
}

// acceptNoTTYSpellings lets --no-tty stand for --no-TTY, as Docker Compose's
// run and exec accept both.
func acceptNoTTYSpellings(cmd *cobra.Command) {
	cmd.Flags().SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "no-tty" {
			name = "no-TTY"
		}
		return pflag.NormalizedName(name)
	})
}
