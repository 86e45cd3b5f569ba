package fakeengine

import (
	"context"
	"fmt"

	"github.com/mycompose/mycompose/convergence"
)

// BuildImage implements convergence.ImageBuilder: it tags a new image ID
// with every name of the request.
func (e *Engine) BuildImage(_ context.Context, req convergence.BuildRequest, progress func(convergence.BuildProgress)) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.record("build image %s", req.Tags[0]); err != nil {
		return "", err
	}
	if progress != nil {
		progress(convergence.BuildProgress{Builder: convergence.BuilderBuildKit})
	}
	id := fmt.Sprintf("sha256:built%d", e.seq)
	e.seq++
	for _, t := range req.Tags {
		e.images[t] = id
	}
	return id, nil
}
