package fakeengine_test

import (
	"testing"

	"github.com/mycompose/mycompose/convergence/enginetest"
	"github.com/mycompose/mycompose/convergence/fakeengine"
)

const image = "mycompose-test/busybox:latest"

// TestContract holds the fake to the seam's contract, the same table the
// real engine passes in dockerengine's tests.
func TestContract(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) enginetest.Target {
		return enginetest.Target{Engine: fakeengine.New(map[string]string{image: "sha256:1"}), Image: image, Prefix: "fake"}
	})
}
