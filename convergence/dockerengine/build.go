package dockerengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/api/types/build"

	"github.com/mycompose/mycompose/convergence"
)

var _ convergence.ImageBuilder = (*Engine)(nil)

// buildMessage is one line of the engine's build output stream.
type buildMessage struct {
	Stream      string `json:"stream"`
	Error       string `json:"error"`
	ErrorDetail struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// BuildImage builds with the classic builder (API 1.41 has no BuildKit
// session here) and never pulls unless asked: base images come from the
// engine.
func (e *Engine) BuildImage(ctx context.Context, req convergence.BuildRequest, progress func(string)) (string, error) {
	args := make(map[string]*string, len(req.Args))
	for k, v := range req.Args {
		args[k] = &v
	}
	resp, err := e.cli.ImageBuild(ctx, req.Context, build.ImageBuildOptions{
		Tags: []string{req.Tag}, Dockerfile: req.Dockerfile, BuildArgs: args, Target: req.Target,
		Labels: req.Labels, NoCache: req.NoCache, PullParent: req.Pull, Remove: true, ForceRemove: true,
		Version: build.BuilderV1,
	})
	if err != nil {
		return "", e.fail(err, fmt.Sprintf("build image %q", req.Tag), false)
	}
	defer resp.Body.Close()
	var id string
	dec := json.NewDecoder(resp.Body)
	for {
		var m buildMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("build image %q: read the engine's output: %w", req.Tag, err)
		}
		if m.Error != "" {
			return "", fmt.Errorf("build image %q: %s", req.Tag, strings.TrimSpace(m.Error))
		}
		if len(m.Aux) > 0 {
			var aux struct{ ID string }
			if json.Unmarshal(m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
		if line := strings.TrimRight(m.Stream, "\r\n"); line != "" && progress != nil {
			progress(line)
		}
	}
	if id == "" {
		ids, err := e.ImageIDs(ctx, []string{req.Tag})
		if err != nil || ids[req.Tag] == "" {
			return "", fmt.Errorf("build image %q: the engine reported no image", req.Tag)
		}
		id = ids[req.Tag]
	}
	return id, nil
}
