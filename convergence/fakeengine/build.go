package fakeengine

import (
	"context"
	"fmt"
	"io"

	"github.com/mycompose/mycompose/convergence"
)

// BuildImage implements convergence.ImageBuilder: it drains the context and
// tags a new image ID.
func (e *Engine) BuildImage(_ context.Context, req convergence.BuildRequest, _ func(string)) (string, error) {
	n, _ := io.Copy(io.Discard, req.Context)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("build image %s", req.Tag); err != nil {
		return "", err
	}
	id := fmt.Sprintf("sha256:built%d-%d", e.seq, n)
	e.seq++
	e.images[req.Tag] = id
	return id, nil
}
