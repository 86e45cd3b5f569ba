// Package modelrunner serves a project's models through Docker Model
// Runner's CLI plugin (docker-model), as Docker Compose does: models not
// listed by `ls --json` are pulled, each is configured, and `status
// --json` gives the endpoint the services receive.
package modelrunner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/internal/cliplugin"
	"github.com/mycompose/mycompose/project"
)

// Runner runs docker-model with the given process environment.
type Runner struct {
	Environ []string
}

var _ convergence.ModelRunner = (*Runner)(nil)

// EnsureModels pulls the missing models, configures them, and returns
// Docker Model Runner's endpoint.
func (r *Runner) EnsureModels(ctx context.Context, p *project.Project, models []project.Model, progress func(string)) (string, error) {
	bin := cliplugin.Find(r.Environ, "model")
	if bin == "" {
		return "", fmt.Errorf("%w: its Docker CLI plugin docker-model is not installed (looked in %s): install Docker Model Runner, or remove models: from the services",
			convergence.ErrNoModelRunner, strings.Join(cliplugin.Dirs(r.Environ), ", "))
	}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = r.Environ
		cmd.Dir = p.WorkingDir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			msg := strings.TrimSpace(stderr.String())
			return nil, fmt.Errorf("docker model %s: %v: %s", strings.Join(args, " "), err, msg)
		}
		return out, nil
	}
	status, err := run("status", "--json")
	if err != nil {
		return "", fmt.Errorf("%w: %v", convergence.ErrNoModelRunner, err)
	}
	var st struct {
		Endpoint string `json:"endpoint"`
	}
	if err := json.Unmarshal(status, &st); err != nil || st.Endpoint == "" {
		return "", fmt.Errorf("%w: docker model status gave no endpoint: %s", convergence.ErrNoModelRunner, bytes.TrimSpace(status))
	}
	list, err := run("ls", "--json")
	if err != nil {
		return "", err
	}
	present, err := Tags(list)
	if err != nil {
		return "", err
	}
	flags := runtimeFlagsSupported(r.version(ctx, bin))
	for _, m := range models {
		if !slices.Contains(present, m.Model) {
			progress(fmt.Sprintf("Model %s: pulling %s", m.Name, m.Model))
			if _, err := run("pull", m.Model); err != nil {
				return "", fmt.Errorf("model %q: %w", m.Name, err)
			}
		}
		if _, err := run(ConfigureArgs(m, flags)...); err != nil {
			return "", fmt.Errorf("model %q: %w", m.Name, err)
		}
		progress(fmt.Sprintf("Model %s: configured", m.Name))
	}
	return st.Endpoint, nil
}

// Tags are the model references `docker model ls --json` lists.
func Tags(list []byte) ([]string, error) {
	var models []struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(list, &models); err != nil {
		return nil, fmt.Errorf("docker model ls: %w", err)
	}
	var out []string
	for _, m := range models {
		out = append(out, m.Tags...)
	}
	return out, nil
}

// ConfigureArgs is `configure [--context-size N] MODEL [-- FLAGS...]`;
// runtime flags only reach a plugin that takes them (1.0.6 and later).
func ConfigureArgs(m project.Model, runtimeFlags bool) []string {
	args := []string{"configure"}
	if m.ContextSize > 0 {
		args = append(args, "--context-size", strconv.Itoa(m.ContextSize))
	}
	args = append(args, m.Model)
	if runtimeFlags && len(m.RuntimeFlags) > 0 {
		args = append(append(args, "--"), m.RuntimeFlags...)
	}
	return args
}

// version is the plugin's version from its Docker CLI plugin metadata.
func (r *Runner) version(ctx context.Context, bin string) string {
	cmd := exec.CommandContext(ctx, bin, "docker-cli-plugin-metadata")
	cmd.Env = r.Environ
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	var meta struct{ Version string }
	json.Unmarshal(out, &meta)
	return meta.Version
}

// runtimeFlagsSupported reports version >= 1.0.6.
func runtimeFlagsSupported(version string) bool {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 3 {
		return false
	}
	want := []int{1, 0, 6}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.SplitN(p, "-", 2)[0])
		if err != nil {
			return false
		}
		if n != want[i] {
			return n > want[i]
		}
	}
	return true
}
