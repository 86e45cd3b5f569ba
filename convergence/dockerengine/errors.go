package dockerengine

import (
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/mycompose/mycompose/convergence"
)

// fail maps an engine error onto the convergence sentinels and prefixes it
// with op (for example `remove container "web-1"`). The engine's message is
// kept. conflict enables the mapping of HTTP 409 to convergence.ErrConflict;
// only create and rename calls set it, because the engine also answers 409
// for unrelated refusals such as removing a volume that is in use.
func (e *Engine) fail(err error, op string, conflict bool) error {
	if err == nil {
		return nil
	}
	if u := e.unreachable(err); u != nil {
		return fmt.Errorf("%s: %w", op, u)
	}
	switch {
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%s: %w: %w", op, convergence.ErrNotFound, err)
	case conflict && cerrdefs.IsConflict(err):
		return fmt.Errorf("%s: %w: %w", op, convergence.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isNoSuchImage reports whether a create failed because its image is missing.
// The engine answers 404 for missing networks and volumes-from containers too,
// so the message is what tells them apart.
func isNoSuchImage(err error) bool {
	return cerrdefs.IsNotFound(err) && strings.Contains(err.Error(), "No such image")
}

// isPortAllocated reports whether a start failed on a published port that
// another container holds.
func isPortAllocated(err error) bool {
	return strings.Contains(err.Error(), "port is already allocated")
}
