package dockerengine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/mycompose/mycompose/convergence"
	msw "github.com/mycompose/mycompose/convergence/swarm"
)

// This file is the one place where the engine's answers become values: the
// HTTP status the SDK reports (cerrdefs) and, where the engine gives the
// same status to different answers, its message. Everything outside the
// adapter decides with errors.Is on the convergence sentinels; a change of
// wording in the engine is fixed here, and the contract suite
// (convergence/enginetest, run against the real engine) shows where.

// call says what was asked, which decides how an answer reads: the engine
// answers 409 both for "name taken" and for "volume in use", 404 both for
// "no such container" and for "no such image".
type call int

const (
	// callOther maps 404 to ErrNotFound and nothing else.
	callOther call = iota
	// callCreate (create, rename) also maps 409 to ErrConflict.
	callCreate
	// callCreateContainer is callCreate plus a missing image, ErrImageNotFound.
	callCreateContainer
	// callStart maps a taken port to *PortAllocatedError, and a 404 that is
	// not about the container (a network removed since) to no sentinel.
	callStart
	// callRemoveNetwork maps attached endpoints to ErrNetworkInUse.
	callRemoveNetwork
	// callRemoveVolume maps 409 to ErrVolumeInUse.
	callRemoveVolume
	// callConnect maps an existing endpoint to ErrConflict.
	callConnect
	// callSignal (kill, pause, unpause) maps "is not running" to ErrNotRunning.
	callSignal
	// callPush maps an image missing locally to ErrImageNotFound.
	callPush
)

// fail maps an engine error onto the convergence sentinels and prefixes it
// with op (for example `remove container "web-1"`). The engine's message is
// kept after the sentinel's.
func (e *Engine) fail(err error, op string, c call) error {
	if err == nil {
		return nil
	}
	if g := e.Lost(op, err); g != nil {
		return g
	}
	if u := e.unreachable(err); u != nil {
		return fmt.Errorf("%s: %w", op, u)
	}
	if s := sentinel(err, c); s != nil {
		var pa *convergence.PortAllocatedError
		if errors.As(s, &pa) {
			return fmt.Errorf("%s: %w", op, s)
		}
		return fmt.Errorf("%s: %w: %w", op, s, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// portAllocatedRE finds the port in the engine's "Bind for 0.0.0.0:8080
// failed: port is already allocated".
var portAllocatedRE = regexp.MustCompile(`:(\d+) failed: port is already allocated`)

// sentinel returns the sentinel error that the engine's answer err means for
// the call c, or nil.
func sentinel(err error, c call) error {
	msg := err.Error()
	switch c {
	case callCreateContainer:
		if cerrdefs.IsNotFound(err) && strings.Contains(msg, "No such image") {
			return convergence.ErrImageNotFound
		}
	case callStart:
		if strings.Contains(msg, "port is already allocated") {
			pa := &convergence.PortAllocatedError{Err: err}
			if m := portAllocatedRE.FindStringSubmatch(msg); m != nil {
				pa.HostPort = m[1]
			}
			return pa
		}
		if cerrdefs.IsNotFound(err) && !strings.Contains(msg, "No such container") {
			// A network connected while the container was created has gone:
			// the container itself exists, so this is no ErrNotFound.
			return nil
		}
	case callRemoveNetwork:
		if strings.Contains(msg, "has active endpoints") {
			return convergence.ErrNetworkInUse
		}
	case callRemoveVolume:
		if cerrdefs.IsConflict(err) || strings.Contains(msg, "volume is in use") {
			return convergence.ErrVolumeInUse
		}
	case callConnect:
		if strings.Contains(msg, "already exists in network") {
			return convergence.ErrConflict
		}
	case callSignal:
		if strings.Contains(msg, "is not running") {
			return convergence.ErrNotRunning
		}
	case callPush:
		if strings.Contains(msg, "does not exist locally") || strings.Contains(msg, "No such image") {
			return convergence.ErrImageNotFound
		}
	}
	switch {
	case cerrdefs.IsNotFound(err):
		return convergence.ErrNotFound
	case cerrdefs.IsConflict(err) && (c == callCreate || c == callCreateContainer):
		return convergence.ErrConflict
	}
	return nil
}

// swarmFail maps a Swarm manager's refusal to remove an object that a
// service still uses onto msw.ErrInUse.
func swarmFail(err error) error {
	if err == nil {
		return nil
	}
	if msg := err.Error(); strings.Contains(msg, "in use") {
		return fmt.Errorf("%w: %w", msw.ErrInUse, err)
	}
	return err
}

// registryError turns a failed pull or push into one line that names the
// registry and says what to do; a missing repository or tag is
// convergence.ErrImageNotFound.
func (e *Engine) registryError(op, reg, ref string, sentAuth bool, credErr, err error) error {
	if g := e.Lost(op, err); g != nil {
		return g
	}
	if u := e.unreachable(err); u != nil {
		return fmt.Errorf("%s: %w", op, u)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := strings.TrimPrefix(err.Error(), "Error response from daemon: ")
	login := fmt.Sprintf("`docker login %s`", reg)
	if reg == "docker.io" {
		login = "`docker login`"
	}
	switch {
	case strings.Contains(msg, "no basic auth credentials") || (!sentAuth && isUnauthorized(err, msg)):
		hint := ""
		if credErr != nil {
			hint = " (" + credErr.Error() + ")"
		}
		return fmt.Errorf("%s: registry %q requires authentication and no credentials were found for it%s: run %s (mycompose reads the Docker CLI's config.json, or $DOCKER_CONFIG/config.json)",
			op, reg, hint, login)
	case isUnauthorized(err, msg):
		return fmt.Errorf("%s: registry %q refused the credentials found for it: %s: run %s", op, reg, msg, login)
	case isUnreachableRegistry(msg):
		return fmt.Errorf("%s: registry %q is unreachable: %s", op, reg, msg)
	case strings.Contains(msg, "denied:") || strings.Contains(msg, "access denied"):
		return fmt.Errorf("%s: registry %q denied access: %s: check the name, or run %s if the repository is private", op, reg, msg, login)
	case strings.Contains(msg, "manifest unknown") || strings.Contains(msg, "repository does not exist") ||
		strings.Contains(msg, "name unknown") || (cerrdefs.IsNotFound(err) && strings.Contains(msg, "not found")):
		return fmt.Errorf("%s: not found in registry %q: no such repository or tag (%s)%.0w", op, reg, msg, convergence.ErrImageNotFound)
	case strings.Contains(msg, "does not match the specified platform") || strings.Contains(msg, "no matching manifest"):
		return fmt.Errorf("%s: %s", op, msg)
	}
	return fmt.Errorf("%s: registry %q refused: %s", op, reg, msg)
}

func isUnauthorized(err error, msg string) bool {
	return cerrdefs.IsUnauthorized(err) || strings.Contains(msg, "unauthorized") ||
		strings.Contains(msg, "authentication required")
}

// isUnreachableRegistry recognises the engine's network errors.
func isUnreachableRegistry(msg string) bool {
	for _, s := range []string{"connection refused", "no such host", "i/o timeout", "network is unreachable",
		"no route to host", "connection reset", "TLS handshake", "server gave HTTP response to HTTPS client",
		"context deadline exceeded"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
