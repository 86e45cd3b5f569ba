package dockerengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"

	"github.com/mycompose/mycompose/convergence"
)

var _ convergence.ImageBuilder = (*Engine)(nil)

// BuildImage builds with the engine's BuildKit where the engine has it
// (its /grpc endpoint answers), else with the classic builder, and says
// which through progress. Base images come from the engine's image store
// unless build.pull asks for a pull.
func (e *Engine) BuildImage(ctx context.Context, req convergence.BuildRequest, progress func(convergence.BuildProgress)) (string, error) {
	if progress == nil {
		progress = func(convergence.BuildProgress) {}
	}
	if convergence.Attests(req.Build.Provenance) || convergence.Attests(req.Build.SBOM) {
		if err := e.checkAttestations(ctx, req); err != nil {
			return "", err
		}
	}
	if !req.Classic {
		if c, err := e.buildkit(ctx); err == nil {
			progress(convergence.BuildProgress{Builder: convergence.BuilderBuildKit})
			return e.buildWithBuildKit(ctx, c, req, progress)
		}
	}
	if key := convergence.ClassicUnsupported(req.Build); key != "" {
		return "", fmt.Errorf("build image %q: build.%s %w, and the engine at %s builds with the classic builder (no BuildKit, or DOCKER_BUILDKIT=0)", req.Tags[0], key, convergence.ErrBuildKitOnly, e.Endpoint())
	}
	progress(convergence.BuildProgress{Builder: convergence.BuilderClassic})
	return e.buildClassic(ctx, req, progress)
}

// buildMessage is one line of the engine's build output stream.
type buildMessage struct {
	Stream      string `json:"stream"`
	Error       string `json:"error"`
	ErrorDetail struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// buildClassic builds through the engine's build API with the classic
// builder: mycompose tars the context itself (or passes a remote URL).
func (e *Engine) buildClassic(ctx context.Context, req convergence.BuildRequest, progress func(convergence.BuildProgress)) (string, error) {
	b := req.Build
	args := make(map[string]*string, len(b.Args))
	for k, v := range b.Args {
		args[k] = &v
	}
	opts := build.ImageBuildOptions{
		Tags: req.Tags, Dockerfile: b.Dockerfile, BuildArgs: args, Target: b.Target,
		Labels: b.Labels, NoCache: b.NoCache, PullParent: b.Pull, Remove: true, ForceRemove: true,
		Version: build.BuilderV1, Platform: req.Platform, NetworkMode: b.Network, ShmSize: b.ShmSize,
		ExtraHosts: b.ExtraHosts, CacheFrom: b.CacheFrom, Isolation: container.Isolation(b.Isolation),
	}
	for _, u := range b.Ulimits {
		opts.Ulimits = append(opts.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	var body io.Reader
	if b.Remote != "" {
		opts.RemoteContext = b.Remote
	} else {
		rc, dockerfile, err := convergence.ContextTar(b)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		body, opts.Dockerfile = rc, dockerfile
	}
	resp, err := e.cli.ImageBuild(ctx, body, opts)
	if err != nil {
		return "", e.fail(err, fmt.Sprintf("build image %q", req.Tags[0]), callOther)
	}
	defer resp.Body.Close()
	var id, step string
	var tail []string
	dec := json.NewDecoder(resp.Body)
	for {
		var m buildMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("build image %q: read the engine's output: %w", req.Tags[0], err)
		}
		if m.Error != "" {
			msg := strings.TrimSpace(m.Error)
			if step != "" {
				progress(convergence.BuildProgress{Step: step, State: convergence.StepError, Detail: msg})
				msg = fmt.Sprintf("step %s failed: %s", step, msg)
				if len(tail) > 0 {
					msg += "\n  output (last lines):\n    " + strings.Join(tail, "\n    ")
				}
			}
			return "", fmt.Errorf("build image %q: %s", req.Tags[0], msg)
		}
		if len(m.Aux) > 0 {
			var aux struct{ ID string }
			if json.Unmarshal(m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
		for _, line := range strings.Split(strings.TrimRight(m.Stream, "\r\n"), "\n") {
			switch {
			case line == "":
			case strings.HasPrefix(line, "Step ") && strings.Contains(line, " : "):
				if step != "" {
					progress(convergence.BuildProgress{Step: step, State: convergence.StepDone})
				}
				step, tail = line, nil
				progress(convergence.BuildProgress{Step: step, State: convergence.StepRunning})
			default:
				tail = append(tail, line)
				if len(tail) > tailLines {
					tail = tail[1:]
				}
				progress(convergence.BuildProgress{Step: step, Output: line})
			}
		}
	}
	if step != "" {
		progress(convergence.BuildProgress{Step: step, State: convergence.StepDone})
	}
	if id == "" {
		ids, err := e.ImageIDs(ctx, req.Tags[:1])
		if err != nil || ids[req.Tags[0]] == "" {
			return "", fmt.Errorf("build image %q: the engine reported no image", req.Tags[0])
		}
		id = ids[req.Tags[0]]
	}
	return id, nil
}

// checkAttestations refuses build.provenance and build.sbom on an engine
// whose image store cannot keep attestations: only the containerd image
// store (Docker 24 and later, when enabled) can, as buildx's docker driver
// says too. It names the engine and its storage driver.
func (e *Engine) checkAttestations(ctx context.Context, req convergence.BuildRequest) error {
	info, err := e.cli.Info(ctx)
	if err != nil {
		return e.fail(err, "read the engine's image store", callOther)
	}
	for _, kv := range info.DriverStatus {
		if kv[0] == "driver-type" && kv[1] == "io.containerd.snapshotter.v1" {
			return nil
		}
	}
	key := "provenance"
	if !convergence.Attests(req.Build.Provenance) {
		key = "sbom"
	}
	at := ""
	if w := req.Build.AttestWhere; w != "" {
		at = w + ": "
	}
	return fmt.Errorf("%sbuild image %q: build.%s: %w: the engine (Docker %s) does not use the containerd image store; "+
		"enable it (Docker 24 or later), or remove build.provenance and build.sbom",
		at, req.Tags[0], key, convergence.ErrAttestations, info.ServerVersion)
}
