package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/convergence/dockerengine"
)

// TestEngineSelectionFlags checks that --host, --context and the
// environment reach the engine resolver.
func TestEngineSelectionFlags(t *testing.T) {
	var got dockerengine.Selection
	stop := errors.New("stop here")
	var errb bytes.Buffer
	deps := &Deps{
		Stdout: &bytes.Buffer{}, Stderr: &errb, WorkDir: t.TempDir(),
		Environ: []string{"DOCKER_CONTEXT=envctx"},
		OpenEngine: func(sel dockerengine.Selection) (Engine, error) {
			got = sel
			return nil, stop
		},
	}
	code := Run(context.Background(), deps, []string{"--context", "flagctx", "-H", "tcp://h:1", "ls"})
	if code != 1 || !strings.Contains(errb.String(), "stop here") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got.Context != "flagctx" || got.Host != "tcp://h:1" || len(got.Environ) != 1 || got.Environ[0] != "DOCKER_CONTEXT=envctx" {
		t.Errorf("selection = %+v", got)
	}
}

type sourcedEngine struct {
	Engine
	source string
}

func (s sourcedEngine) Source() string { return s.source }

func TestWithEngineSource(t *testing.T) {
	down := errors.New("cannot connect to the Docker engine at tcp://127.0.0.1:1: is the daemon running?")
	err := withEngineSource(sourcedEngine{source: "from DOCKER_HOST"}, down)
	if err.Error() != "cannot connect to the Docker engine at tcp://127.0.0.1:1: is the daemon running? (from DOCKER_HOST)" || !errors.Is(err, down) {
		t.Errorf("got %v", err)
	}
	if err := withEngineSource(sourcedEngine{}, down); err != down {
		t.Errorf("default socket: got %v", err)
	}
	if err := withEngineSource(sourcedEngine{source: "x"}, context.Canceled); err != context.Canceled {
		t.Errorf("cancellation must stay recognisable: %v", err)
	}
}
