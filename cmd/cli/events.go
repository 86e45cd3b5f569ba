package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

type eventsOptions struct {
	JSON bool
}

func newEventsCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &eventsOptions{}
	cmd := &cobra.Command{
		Use:   "events [OPTIONS] [SERVICE...]",
		Short: "Receive real time events from containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEvents(cmd.Context(), deps, g, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "output events as a stream of JSON objects")
	return cmd
}

// jsonEvent is one line of `events --json`, with Docker Compose's names.
type jsonEvent struct {
	Time       time.Time         `json:"time"`
	Type       string            `json:"type"`
	Action     string            `json:"action"`
	ID         string            `json:"id"`
	Service    string            `json:"service"`
	Attributes map[string]string `json:"attributes"`
}

// runEvents prints the project's container events until interrupted.
func runEvents(ctx context.Context, deps *Deps, g *globalOptions, o *eventsOptions, args []string) error {
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	events, errs := t.eng.Events(ctx, t.name)
	enc := json.NewEncoder(deps.Stdout)
	for {
		select {
		case <-ctx.Done():
			return &ExitError{Code: 130}
		case err := <-errs:
			if ctx.Err() != nil {
				return &ExitError{Code: 130}
			}
			return fmt.Errorf("events of project %q: %w", t.name, err)
		case ev, ok := <-events:
			if !ok {
				events = nil // the error channel tells why
				continue
			}
			if len(args) > 0 && !contains(args, ev.Service) {
				continue
			}
			attrs := userAttributes(ev)
			if o.JSON {
				if err := enc.Encode(jsonEvent{Time: ev.Time, Type: "container", Action: ev.Action, ID: ev.ID,
					Service: ev.Service, Attributes: attrs}); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(deps.Stdout, "%s container %s %s (%s)\n", ev.Time.Format("2006-01-02 15:04:05.000000"), ev.Action, ev.ID, formatAttributes(attrs))
		}
	}
}

// userAttributes drops the compose labels from an event's attributes, as
// Docker Compose does: they are the same on every event of a container.
func userAttributes(ev convergence.ContainerEvent) map[string]string {
	out := map[string]string{}
	for k, v := range ev.Attributes {
		if !project.IsComposeLabel(k) {
			out[k] = v
		}
	}
	return out
}

func formatAttributes(attrs map[string]string) string {
	parts := make([]string, 0, len(attrs))
	for k, v := range attrs {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
