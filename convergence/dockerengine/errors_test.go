package dockerengine

import (
	"errors"
	"fmt"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/mycompose/mycompose/convergence"
	msw "github.com/mycompose/mycompose/convergence/swarm"
)

// TestSentinels pins how the engine's answers, as the SDK reports them
// (status as an errdefs class, the daemon's message), read for each call.
// The contract suite proves them against the live engine; this table
// covers the answers a test cannot provoke on demand.
func TestSentinels(t *testing.T) {
	daemon := func(class error, msg string) error {
		return fmt.Errorf("Error response from daemon: %s: %w", msg, class)
	}
	e := &Engine{}
	tests := []struct {
		name string
		err  error
		c    call
		want error // nil: no sentinel
	}{
		{"missing container", daemon(cerrdefs.ErrNotFound, "No such container: x"), callOther, convergence.ErrNotFound},
		{"name taken on create", daemon(cerrdefs.ErrConflict, `Conflict. The container name "/x" is already in use`), callCreate, convergence.ErrConflict},
		{"409 elsewhere is no conflict", daemon(cerrdefs.ErrConflict, "removal of container x is already in progress"), callOther, nil},
		{"missing image on create", daemon(cerrdefs.ErrNotFound, "No such image: busybox:absent"), callCreateContainer, convergence.ErrImageNotFound},
		{"missing network on create", daemon(cerrdefs.ErrNotFound, "network absent not found"), callCreateContainer, convergence.ErrNotFound},
		{"port taken", daemon(cerrdefs.ErrUnknown, "driver failed programming external connectivity on endpoint x (abc): Bind for 0.0.0.0:8080 failed: port is already allocated"), callStart, convergence.ErrPortAllocated},
		{"network gone at start", daemon(cerrdefs.ErrNotFound, "network absent not found"), callStart, nil},
		{"missing container at start", daemon(cerrdefs.ErrNotFound, "No such container: x"), callStart, convergence.ErrNotFound},
		{"network in use", daemon(cerrdefs.ErrPermissionDenied, "error while removing network: network n id 123 has active endpoints"), callRemoveNetwork, convergence.ErrNetworkInUse},
		{"volume in use", daemon(cerrdefs.ErrConflict, "remove v: volume is in use - [abc]"), callRemoveVolume, convergence.ErrVolumeInUse},
		{"connected already", daemon(cerrdefs.ErrPermissionDenied, "endpoint with name x already exists in network n"), callConnect, convergence.ErrConflict},
		{"not running", daemon(cerrdefs.ErrConflict, "Container abc is not running"), callSignal, convergence.ErrNotRunning},
		{"push of a missing image", daemon(cerrdefs.ErrNotFound, "An image does not exist locally with the tag: r/x"), callPush, convergence.ErrImageNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := e.fail(tc.err, "op", tc.c)
			for _, s := range []error{convergence.ErrNotFound, convergence.ErrConflict, convergence.ErrPortAllocated, convergence.ErrNetworkInUse,
				convergence.ErrVolumeInUse, convergence.ErrImageNotFound, convergence.ErrNotRunning} {
				if got := errors.Is(err, s); got != (s == tc.want) {
					t.Errorf("errors.Is(%v, %q) = %v", err, s, got)
				}
			}
		})
	}
	var pa *convergence.PortAllocatedError
	if err := e.fail(tests[5].err, "op", callStart); !errors.As(err, &pa) || pa.HostPort != "8080" {
		t.Errorf("port taken: %v does not name port 8080", err)
	}
	if err := swarmFail(errors.New("rpc error: code = InvalidArgument desc = secret 's' is in use by the following service: web")); !errors.Is(err, msw.ErrInUse) {
		t.Errorf("swarm in use: %v", err)
	}
}
