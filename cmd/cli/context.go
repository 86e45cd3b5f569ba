package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/mycompose/mycompose/convergence/dockerengine"
)

// openEngine makes a client for the engine that -H/--host, --context and
// the environment name, with the docker CLI's precedence (see
// dockerengine.Resolve). Without OpenEngine (tests), NewEngine gets --host.
func (g *globalOptions) openEngine(deps *Deps) (Engine, error) {
	if deps.OpenEngine == nil {
		return deps.NewEngine(g.Host)
	}
	return deps.OpenEngine(dockerengine.Selection{Host: g.Host, Context: g.Context, Environ: deps.Environ})
}

// withEngineSource adds what chose the engine (a docker context, DOCKER_HOST,
// --host) to the error of an engine that does not answer, whose message
// already names the endpoint's URL.
func withEngineSource(eng Engine, err error) error {
	if eng.Source() == "" || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w (%s)", err, eng.Source())
}
