package dockerengine

import (
	"testing"

	"github.com/mycompose/mycompose/convergence/enginetest"
)

// TestContract holds the adapter to the seam's contract against the real
// engine: the same table the fake engine passes. TestMain fails the package
// when no engine answers, so this never skips.
func TestContract(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) enginetest.Target {
		return enginetest.Target{Engine: newEngine(t), Image: imageLatest, Prefix: "mycompose-contract-" + runID}
	})
}
