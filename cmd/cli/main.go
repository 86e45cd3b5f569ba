package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Main runs mycompose with the process's arguments and returns the exit code.
// The first SIGINT or SIGTERM cancels the command's context (engine calls in
// flight complete, nothing new starts); a second one exits at once, unless
// the command took it over (attached up kills its containers then), in
// which case a third one exits.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hooks := &signals{}
	ctx = withSignals(ctx, hooks)
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		hooks.received(<-sigs)
		cancel()
		<-sigs
		if hooks.forced() {
			<-sigs
		}
		liveViews.stopAll() // final frame and cursor back before the abrupt exit
		os.Exit(130)
	}()
	deps := DefaultDeps()
	// As a docker CLI plugin, the CLI closing its socket is a first signal.
	watchPluginSocket(deps.Environ, func() {
		select {
		case sigs <- os.Interrupt:
		default:
		}
	})
	return Run(ctx, deps, os.Args[1:])
}

// Run executes one command line and returns its exit code; errors are
// printed on deps.Stderr as one short message, never a stack trace.
func Run(ctx context.Context, deps *Deps, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(deps.Stderr, "mycompose: internal error: %v\nPlease report this, with the command you ran.\n", r)
			code = 1
		}
	}()
	args, err := pluginArgs(deps, os.Args[0], args)
	if err != nil {
		printError(deps, err)
		return ExitCode(err)
	}
	root := NewRootCommand(deps)
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	if err != nil {
		printError(deps, err)
	}
	return ExitCode(err)
}

func printError(deps *Deps, err error) {
	var ee *ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(deps.Stderr, "interrupted: engine calls in flight were completed; run the command again to finish converging")
		return
	}
	msg := strings.TrimSpace(err.Error())
	fmt.Fprintln(deps.Stderr, "Error: "+msg)
}
