package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

type logsOptions struct {
	Follow     bool
	Tail       string
	Timestamps bool
	Since      string
	Until      string
	Index      int
	NoColor    bool
	NoPrefix   bool
}

func newLogsCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &logsOptions{}
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] [SERVICE...]",
		Short: "View output from containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	shadowGlobal(f, g, "file")
	f.BoolVarP(&o.Follow, "follow", "f", false, "follow log output, including containers created or restarted later")
	f.StringVarP(&o.Tail, "tail", "n", "all", "number of lines to show from the end of the logs of each container")
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "show timestamps")
	f.StringVar(&o.Since, "since", "", "show logs since a timestamp (2013-01-02T13:23:37Z) or relative time (42m)")
	f.StringVar(&o.Until, "until", "", "show logs before a timestamp (2013-01-02T13:23:37Z) or relative time (42m)")
	f.IntVar(&o.Index, "index", 0, "index of the container if the service has multiple replicas")
	f.BoolVar(&o.NoColor, "no-color", false, "produce monochrome output")
	f.BoolVar(&o.NoPrefix, "no-log-prefix", false, "don't print a prefix in logs")
	return cmd
}

func runLogs(ctx context.Context, deps *Deps, g *globalOptions, o *logsOptions, args []string) error {
	if g.Swarm {
		return runSwarmLogs(ctx, deps, g, o, args)
	}
	opts, err := o.logOptions(time.Now())
	if err != nil {
		return err
	}
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	printer := newLogPrinter(deps.Stdout, deps.Stderr, colorOutput(deps, o.NoColor), !o.NoPrefix)
	selected := func(r project.Replica) bool {
		return !r.OneOff && (len(args) == 0 || contains(args, r.Service)) && (o.Index == 0 || r.Number == o.Index)
	}
	if !o.Follow {
		cs, err := t.containers(ctx)
		if err != nil {
			return err
		}
		return dumpLogs(ctx, t.eng, printer, selectContainers(cs, args, o.Index, false), opts)
	}
	evCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, errs := t.eng.Events(evCtx, t.name)
	listedAt := time.Now()
	cs, err := t.containers(ctx)
	if err != nil {
		return err
	}
	f := &follower{eng: t.eng, printer: printer, selected: selected, initial: opts, base: opts.Since,
		stderr: func(format string, a ...any) { fmt.Fprintf(deps.Stderr, format, a...) }}
	if err := f.run(evCtx, events, errs, cs, listedAt, true); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &ExitError{Code: 130}
	}
	return nil
}

// dumpLogs prints the logs of the containers concurrently, each line whole.
func dumpLogs(ctx context.Context, eng Engine, printer *logPrinter, cs []convergence.Container, opts convergence.LogOptions) error {
	var wg sync.WaitGroup
	errs := make([]error, len(cs))
	for _, c := range cs {
		printer.register(displayName(c.Name, c.Replica))
	}
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errw := printer.writers(displayName(c.Name, c.Replica), c.Service)
			errs[i] = eng.ContainerLogs(ctx, c.ID, opts, out, errw)
			out.Close()
			errw.Close()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !convergence.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func (o *logsOptions) logOptions(now time.Time) (convergence.LogOptions, error) {
	opts := convergence.LogOptions{Follow: o.Follow, Tail: o.Tail, Timestamps: o.Timestamps}
	if o.Tail != "all" && o.Tail != "" {
		if n, err := strconv.Atoi(o.Tail); err != nil || n < 0 {
			return opts, usageError{fmt.Errorf("invalid --tail %q: use a number of lines or \"all\"", o.Tail)}
		}
	}
	var err error
	if opts.Since, err = parseLogTime(o.Since, now); err != nil {
		return opts, usageError{fmt.Errorf("invalid --since %q: %w", o.Since, err)}
	}
	if opts.Until, err = parseLogTime(o.Until, now); err != nil {
		return opts, usageError{fmt.Errorf("invalid --until %q: %w", o.Until, err)}
	}
	return opts, nil
}

// parseLogTime reads the time forms the docker CLI accepts: a duration
// before now ("42m"), an RFC 3339 time or date, or Unix seconds.
func parseLogTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	secs, frac, _ := strings.Cut(s, ".")
	if sec, err := strconv.ParseInt(secs, 10, 64); err == nil {
		var nanos int64
		if frac != "" {
			frac = (frac + "000000000")[:9]
			if nanos, err = strconv.ParseInt(frac, 10, 64); err != nil {
				return time.Time{}, fmt.Errorf("not a time")
			}
		}
		return time.Unix(sec, nanos), nil
	}
	return time.Time{}, fmt.Errorf("use a duration (42m), an RFC 3339 time (2013-01-02T13:23:37Z) or Unix seconds")
}
