// Package provider runs the programs of provider services as Docker
// Compose does: `<program> compose --project-name=NAME up|down
// [--option=value...] SERVICE`, reading JSON messages from its stdout.
package provider

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/internal/cliplugin"
	"github.com/mycompose/mycompose/internal/environ"
	"github.com/mycompose/mycompose/project"
)

// Message types of the protocol.
const (
	typeError            = "error"
	typeInfo             = "info"
	typeSetEnv           = "setenv"
	typeRawSetEnv        = "rawsetenv"
	typeDebug            = "debug"
	typeGetServiceConfig = "get-service-config"
)

// ErrProvider is wrapped by the error a provider reported itself.
var ErrProvider = errors.New("the provider reported an error")

// message is one line of a provider's stdout.
type message struct {
	Type    string `json:"type"`
	Message string `json:"message,omitempty"`
}

// Runner runs providers with the given process environment.
type Runner struct {
	Environ []string
}

var _ convergence.ProviderRunner = (*Runner)(nil)

// RunProvider runs the provider of svc for command ("up" or "down").
func (r *Runner) RunProvider(ctx context.Context, p *project.Project, svc *project.Service, command string, progress func(string)) (convergence.ProviderVars, error) {
	bin, err := r.lookup(svc.Provider.Type)
	if err != nil {
		return convergence.ProviderVars{}, err
	}
	meta := r.metadata(ctx, bin)
	if command == "stop" && (meta == nil || meta.Stop == nil) {
		return convergence.ProviderVars{}, nil
	}
	args, err := Args(p.Name, svc, command, meta)
	if err != nil {
		return convergence.ProviderVars{}, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = r.Environ
	cmd.Dir = p.WorkingDir
	var stderr strings.Builder
	cmd.Stderr = &limited{w: &stderr, n: 4 << 10}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return convergence.ProviderVars{}, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return convergence.ProviderVars{}, err
	}
	if err := cmd.Start(); err != nil {
		return convergence.ProviderVars{}, err
	}
	vars, perr := Read(stdout, progress, func() {
		// The service's configuration, one JSON line, as Compose answers.
		stdin.Write(append(append([]byte(nil), svc.Config...), '\n'))
	})
	stdin.Close()
	if perr != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return convergence.ProviderVars{}, perr
	}
	if err := cmd.Wait(); err != nil {
		msg := fmt.Sprintf("%s %s failed: %v", filepath.Base(bin), command, err)
		if s := strings.TrimSpace(stderr.String()); s != "" {
			msg += ": " + s
		}
		return convergence.ProviderVars{}, errors.New(msg)
	}
	return vars, nil
}

// Read decodes a provider's messages until its stdout ends: info goes to
// progress, setenv and rawsetenv are collected, get-service-config calls
// answer, an error message ends the run with it.
func Read(r io.Reader, progress func(string), answer func()) (convergence.ProviderVars, error) {
	vars := convergence.ProviderVars{Prefixed: map[string]string{}, Raw: map[string]string{}}
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return vars, nil
		}
		if err != nil {
			return vars, fmt.Errorf("invalid message from the provider: %w", err)
		}
		switch m.Type {
		case typeError:
			return vars, fmt.Errorf("%s%.0w", m.Message, ErrProvider)
		case typeInfo:
			if progress != nil {
				progress(firstLine(m.Message))
			}
		case typeSetEnv, typeRawSetEnv:
			k, v, ok := strings.Cut(m.Message, "=")
			if !ok || k == "" {
				return vars, fmt.Errorf("invalid %s message from the provider: %q (want KEY=VALUE)", m.Type, m.Message)
			}
			if m.Type == typeSetEnv {
				vars.Prefixed[k] = v
			} else {
				vars.Raw[k] = v
			}
		case typeGetServiceConfig:
			if answer != nil {
				answer()
			}
		case typeDebug:
		default:
			return vars, fmt.Errorf("invalid message type %q from the provider", m.Type)
		}
	}
}

// Metadata is what `<provider> compose metadata` describes.
type Metadata struct {
	Description string          `json:"description"`
	Up          CommandMetadata `json:"up"`
	Down        CommandMetadata `json:"down"`
	// Stop, when declared, is run by stop; a provider without it has
	// nothing to stop.
	Stop *CommandMetadata `json:"stop,omitempty"`
}

// CommandMetadata lists the parameters of one command.
type CommandMetadata struct {
	Parameters []struct {
		Name     string `json:"name"`
		Required bool   `json:"required"`
	} `json:"parameters"`
}

// Args builds the provider's command line: with metadata, only the options
// the command declares are passed, and its required ones must be set.
func Args(projectName string, svc *project.Service, command string, meta *Metadata) ([]string, error) {
	var known map[string]bool
	if meta != nil && (meta.Description != "" || meta.Up.Parameters != nil || meta.Down.Parameters != nil) {
		cm := meta.Up
		switch {
		case command == "down":
			cm = meta.Down
		case command == "stop" && meta.Stop != nil:
			cm = *meta.Stop
		}
		known = map[string]bool{}
		for _, prm := range cm.Parameters {
			known[prm.Name] = true
			if prm.Required && !hasOption(svc.Provider, prm.Name) {
				return nil, fmt.Errorf("required parameter %q is missing from provider %q definition", prm.Name, svc.Provider.Type)
			}
		}
	}
	args := []string{"compose", "--project-name=" + projectName, command}
	for _, o := range svc.Provider.Options {
		if known != nil && !known[o.Name] {
			continue
		}
		for _, v := range o.Values {
			args = append(args, "--"+o.Name+"="+v)
		}
	}
	return append(args, svc.Name), nil
}

func hasOption(p *project.Provider, name string) bool {
	for _, o := range p.Options {
		if o.Name == name {
			return true
		}
	}
	return false
}

// metadata asks the provider for its metadata; nil when it has none.
func (r *Runner) metadata(ctx context.Context, bin string) *Metadata {
	cmd := exec.CommandContext(ctx, bin, "compose", "metadata")
	cmd.Env = r.Environ
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	var m Metadata
	if json.Unmarshal(out, &m) != nil {
		return nil
	}
	return &m
}

// lookup finds the provider's program: a Docker CLI plugin docker-TYPE,
// else TYPE on PATH.
func (r *Runner) lookup(typ string) (string, error) {
	if typ == "" || typ == "compose" || strings.ContainsRune(typ, filepath.Separator) {
		return "", fmt.Errorf("%q is not a valid provider type", typ)
	}
	if p := cliplugin.Find(r.Environ, typ); p != "" {
		return p, nil
	}
	for _, dir := range filepath.SplitList(environ.Get(r.Environ, "PATH")) {
		if p := filepath.Join(dir, typ); dir != "" && cliplugin.Executable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("provider %q not found: install the Docker CLI plugin docker-%s or put an executable %q on PATH", typ, typ, typ)
}

func firstLine(s string) string {
	s = strings.TrimRight(s, "\n")
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// limited keeps the first n bytes written to it.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
