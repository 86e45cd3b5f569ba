// Package dockerengine implements convergence.Engine on the Docker engine API.
// It is the only package of mycompose that imports the Docker SDK.
//
// The adapter is deliberately thin: one API call per method where the engine
// allows it, engine errors mapped onto the convergence sentinels, and no
// retries (the executor decides what to retry).
package dockerengine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/docker/docker/client"
	bkclient "github.com/moby/buildkit/client"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/hostfiles"
)

// Engine is a convergence.Engine backed by a Docker engine.
type Engine struct {
	cli *client.Client
	// endpoint is the URL the engine was chosen by (ssh:// stays ssh://);
	// source adds what chose it, for messages (see Open).
	endpoint, source string

	verMu sync.Mutex
	ver   *convergence.EngineVersion // cached by EngineVersion
	// files delivers secrets and configs by read-only bind mounts from a
	// private tmpfs directory of this host; nil for remote engines, where
	// the executor copies them into the container instead (see files.go).
	files *hostfiles.Store
	// fileDirs maps container IDs to their directory in files, learnt
	// when they are created or listed, so that removing a container
	// removes its secrets from the host.
	fileDirs sync.Map

	// bk is the client of the engine's BuildKit, made on the first build;
	// bkErr says why there is none (the classic builder is used then).
	bkMu  sync.Mutex
	bk    *bkclient.Client
	bkErr error

	// live tracks the client's connections and whether the engine went
	// away since it first answered (liveness.go).
	live *liveness

	// lag holds the stops the container list may not show yet (stoplag.go).
	lag stopLag
}

var _ convergence.Engine = (*Engine)(nil)

// New connects like the docker CLI: a non-empty host (-H) wins, else the
// process environment and the docker CLI configuration decide (DOCKER_HOST,
// DOCKER_CONTEXT, the current context, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH;
// see Resolve). It does not contact the engine: call Ping for that.
func New(host string) (*Engine, error) {
	return Open(Selection{Host: host, Environ: os.Environ()})
}

// Endpoint returns the daemon host, for error messages.
func (e *Engine) Endpoint() string {
	if e.endpoint != "" {
		return e.endpoint
	}
	return e.cli.DaemonHost()
}

// Ping checks that the engine answers; the error is one line naming the
// endpoint. The answer also settles the API version negotiation, which the
// client would otherwise do with a second ping, so that the calls after it
// need no other round trip first (see EngineVersion).
func (e *Engine) Ping(ctx context.Context) error {
	p, err := e.cli.Ping(ctx)
	if err != nil {
		if g := e.Lost("ping", err); g != nil {
			return g
		}
		if uerr := e.unreachable(err); uerr != nil {
			return uerr
		}
		return fmt.Errorf("ping Docker engine at %s: %w", e.Endpoint(), err)
	}
	if e.live != nil {
		e.live.answered.Store(true)
	}
	e.cli.NegotiateAPIVersionPing(p)
	e.verMu.Lock()
	defer e.verMu.Unlock()
	if e.ver == nil && p.APIVersion != "" {
		e.ver = &convergence.EngineVersion{API: e.cli.ClientVersion(), MaxAPI: p.APIVersion}
	}
	return nil
}

// EngineVersion returns the API version the client negotiated with the
// engine (DOCKER_API_VERSION pins it) and the highest it speaks, asked once
// and cached. After Ping it makes no call, and the release is left empty
// (EngineRelease asks for it); otherwise it asks for both.
func (e *Engine) EngineVersion(ctx context.Context) (convergence.EngineVersion, error) {
	e.verMu.Lock()
	defer e.verMu.Unlock()
	if e.ver != nil {
		return *e.ver, nil
	}
	return e.serverVersion(ctx)
}

// EngineRelease returns the engine's release ("20.10.24"), for messages;
// one call the first time.
func (e *Engine) EngineRelease(ctx context.Context) (string, error) {
	e.verMu.Lock()
	defer e.verMu.Unlock()
	if e.ver != nil && e.ver.Version != "" {
		return e.ver.Version, nil
	}
	ev, err := e.serverVersion(ctx)
	return ev.Version, err
}

// serverVersion asks the engine for its version and caches the answer;
// verMu is held.
func (e *Engine) serverVersion(ctx context.Context) (convergence.EngineVersion, error) {
	// Negotiation is otherwise lazy: settle it before reading the version.
	e.cli.NegotiateAPIVersion(ctx)
	sv, err := e.cli.ServerVersion(ctx)
	if err != nil {
		if uerr := e.unreachable(err); uerr != nil {
			return convergence.EngineVersion{}, uerr
		}
		return convergence.EngineVersion{}, fmt.Errorf("read the version of the Docker engine at %s: %w", e.Endpoint(), err)
	}
	e.ver = &convergence.EngineVersion{API: e.cli.ClientVersion(), Version: sv.Version, MaxAPI: sv.APIVersion}
	return *e.ver, nil
}

// Close releases the client's idle connections.
func (e *Engine) Close() error {
	// The next command lists what this one stopped.
	ctx, cancel := context.WithTimeout(context.Background(), listLag)
	e.settleStops(ctx)
	cancel()
	e.live.stopHeartbeat()
	e.bkMu.Lock()
	if e.bk != nil {
		e.bk.Close()
		e.bk = nil
	}
	e.bkMu.Unlock()
	return e.cli.Close()
}

// unreachable returns the one-line "cannot connect" error when err means the
// engine could not be reached at all, and nil otherwise. Context errors are
// left alone so that callers can still recognise cancellation. Through a
// connection helper (ssh://) it says what the helper said, which tells a
// refused key, a closed port or an unknown host from a stopped daemon,
// without docker/cli's report naming the helper's command line.
func (e *Engine) unreachable(err error) error {
	var h *helperError
	if found := errors.As(err, &h); (found && h.said() == "") || (!found && client.IsErrConnectionFailed(err)) {
		// The helper's exit report may have gone to another reader of
		// the connection, or been replaced by the client (see
		// lastHelperError).
		if last := e.live.lastHelperError(); last != nil {
			h = last
		}
	}
	if h != nil && !errors.Is(err, context.Canceled) {
		if said := h.said(); said != "" {
			return fmt.Errorf("cannot connect to the Docker engine at %s: %s", e.Endpoint(), said)
		}
		return fmt.Errorf("cannot connect to the Docker engine at %s: the %s connection ended before the engine answered", e.Endpoint(), h.helper)
	}
	if !client.IsErrConnectionFailed(err) {
		return nil
	}
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("cannot connect to the Docker engine at %s: permission denied", e.Endpoint())
	}
	return fmt.Errorf("cannot connect to the Docker engine at %s: is the daemon running?", e.Endpoint())
}
