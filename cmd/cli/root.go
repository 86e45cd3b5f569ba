// Package cli holds mycompose's cobra commands: one file per command, each
// with an options struct, a newXxxCommand constructor and a runXxx function.
// Decisions live in loader, project and convergence; this package wires
// flags to them and prints results. A command that changes a project fills
// a convergence.Request and runs it through convergence.Pipeline
// (pipeline.go); what stays here is flags, prompts and rendering.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/dockerengine"
	msw "github.com/mycompose/mycompose/convergence/swarm"
	"github.com/mycompose/mycompose/internal/environ"
	"github.com/mycompose/mycompose/loader"
	"github.com/mycompose/mycompose/project"
)

// Engine is what commands need from the engine: the convergence seam plus
// a liveness check for clear errors.
type Engine interface {
	convergence.Engine
	// Runtime serves the developer-workflow commands (logs, exec, run, ...).
	convergence.Runtime
	// ImageStore pulls and pushes images (pull, push, and up's pull step).
	convergence.ImageStore
	convergence.DigestResolver
	// ImageBuilder builds images (build, up --build).
	convergence.ImageBuilder
	// Snapshots serves stats, export and commit.
	convergence.Snapshots
	// Ping checks that the engine answers.
	Ping(ctx context.Context) error
	// Close releases the connection.
	Close() error
	// Endpoint names the engine, for messages and per-engine locks.
	Endpoint() string
	// Source says what chose the endpoint (a docker context, DOCKER_HOST,
	// --host), for the message of an engine that does not answer; "" when
	// nothing worth saying.
	Source() string
	// Swarm is the engine's Swarm manager API (--swarm).
	Swarm() msw.Engine
}

// Deps are the process's inputs and outputs, injectable for tests.
type Deps struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
	WorkDir string
	// NewEngine connects to the engine; host overrides DOCKER_HOST when set.
	NewEngine func(host string) (Engine, error)
	// OpenEngine, when set, is used instead of NewEngine: it resolves the
	// endpoint from --host, --context and the environment like the docker CLI.
	OpenEngine func(sel dockerengine.Selection) (Engine, error)
	// parallel is --parallel once flags are parsed (0: not given).
	parallel int
}

// DefaultDeps returns the real process's dependencies.
func DefaultDeps() *Deps {
	wd, _ := os.Getwd()
	return &Deps{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Environ: os.Environ(), WorkDir: wd,
		NewEngine:  func(host string) (Engine, error) { return dockerengine.New(host) },
		OpenEngine: func(sel dockerengine.Selection) (Engine, error) { return dockerengine.Open(sel) },
	}
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	Files            []string
	ProjectName      string
	ProjectDirectory string
	Profiles         []string
	EnvFiles         []string
	Host             string
	Context          string
	DryRun           bool
	Progress         string
	Ansi             string
	Parallel         int
	// Swarm deploys to a Swarm manager as a stack (see swarm.go).
	Swarm bool
	// AllResources includes the networks and volumes no service uses.
	AllResources bool
	// Compatibility names containers with "_" (project_service_1), as
	// docker-compose v1 did.
	Compatibility bool
	// readFiles makes the loader read secrets' and configs' files: only
	// the commands that create containers do (see createsContainers).
	readFiles bool
	// key reads the digest key of container labels once (see digestKey);
	// a func value, so that copies of the options share it.
	key func() ([]byte, error)
	// engines are those the command connected to, for engineGone;
	// cancelCommand cancels the command when one goes away (goneSeen).
	engines       []Engine
	cancelCommand context.CancelCauseFunc
	commandCtx    context.Context
	goneSeen      atomic.Bool
	// pending is a connection started while the project loads (see
	// preconnect); connect takes it. A pointer: copies of the options
	// share it.
	pending *pendingConn
}

// pendingConn is a connection started ahead, taken once.
type pendingConn struct {
	ch    chan connected
	taken atomic.Bool
}

// connected is the outcome of a connection started ahead.
type connected struct {
	eng Engine
	err error
}

// createsContainers are the commands that write secrets and configs into
// containers: only they read the content of file: sources.
var createsContainers = map[string]bool{"up": true, "create": true, "scale": true, "run": true}

// digestKey reads (or creates) the per-user key of label digests once. On
// failure labels keep field names only, and load says why.
func (g *globalOptions) digestKey(deps *Deps) ([]byte, error) {
	if g.key == nil {
		g.key = sync.OnceValues(func() ([]byte, error) { return loader.DigestKey(deps.Environ) })
	}
	return g.key()
}

// NewRootCommand builds the command tree.
func NewRootCommand(deps *Deps) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "mycompose",
		Short:         "Define and run multi-container applications with Docker, fast",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       project.Version,
		// Global flags before the command are the root's, so that
		// `-f compose.yaml logs -f` reads -f as --file, then --follow.
		TraverseChildren: true,
		RunE:             rootRun,
	}
	root.SetVersionTemplate("mycompose version {{.Version}}\n")
	root.SetIn(deps.Stdin)
	root.SetOut(deps.Stdout)
	root.SetErr(deps.Stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nSee '%s --help'.", err, c.CommandPath())}
	})
	f := root.PersistentFlags()
	f.StringArrayVarP(&g.Files, "file", "f", nil, "compose configuration files (repeatable, merged in order)")
	f.StringVarP(&g.ProjectName, "project-name", "p", "", "project name")
	f.StringVar(&g.ProjectDirectory, "project-directory", "", "alternate working directory (default: the directory of the first compose file)")
	f.StringArrayVar(&g.Profiles, "profile", nil, "profile to enable (repeatable)")
	f.StringArrayVar(&g.EnvFiles, "env-file", nil, "alternate environment file (repeatable)")
	f.StringVarP(&g.Host, "host", "H", "", "engine endpoint to connect to (default: DOCKER_HOST)")
	f.StringVar(&g.Context, "context", "", "docker context to use (default: DOCKER_CONTEXT, else the docker CLI's current context)")
	f.BoolVar(&g.DryRun, "dry-run", false, "print what would change without changing anything")
	f.StringVar(&g.Progress, "progress", "", "progress output: auto, tty, plain, json or quiet (default: COMPOSE_PROGRESS, else auto)")
	f.BoolVar(&g.Swarm, "swarm", false, "deploy the project as a Swarm stack on the manager named by -H/DOCKER_HOST")
	f.StringVar(&g.Ansi, "ansi", "", "control characters: never, always or auto (default: COMPOSE_ANSI, else auto)")
	f.BoolVar(&g.AllResources, "all-resources", false, "include all resources, even those not used by services")
	f.BoolVar(&g.Compatibility, "compatibility", false, "run in backward compatibility mode: container names with underscores (project_service_1), as docker-compose v1 (default: COMPOSE_COMPATIBILITY)")
	f.IntVar(&g.Parallel, "parallel", 0, "how many engine operations run at once, -1 for no limit (default: COMPOSE_PARALLEL_LIMIT, else 16)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if g.Parallel < -1 {
			return usageError{fmt.Errorf("invalid --parallel %d: use a positive number, or -1 for no limit", g.Parallel)}
		}
		deps.parallel = g.Parallel
		g.readFiles = createsContainers[cmd.Name()]
		return g.validateOutputFlags(deps)
	}
	root.AddCommand(
		newUpCommand(deps, g),
		newVolumesCommand(deps, g),
		newStatsCommand(deps, g),
		newAttachCommand(deps, g),
		newExportCommand(deps, g),
		newCommitCommand(deps, g),
		newDownCommand(deps, g),
		newScaleCommand(deps, g),
		newPsCommand(deps, g),
		newConfigCommand(deps, g),
		newVersionCommand(deps),
		newBuildCommand(deps, g),
		newWatchCommand(deps, g),
	)
	root.AddCommand(
		newCreateCommand(deps, g),
		newStartCommand(deps, g),
		newStopCommand(deps, g),
		newRestartCommand(deps, g),
		newKillCommand(deps, g),
		newRmCommand(deps, g),
		newPauseCommand(deps, g),
		newUnpauseCommand(deps, g),
		newLogsCommand(deps, g),
		newExecCommand(deps, g),
		newRunCommand(deps, g),
		newLsCommand(deps, g),
		newTopCommand(deps, g),
		newPortCommand(deps, g),
		newImagesCommand(deps, g),
		newWaitCommand(deps, g),
		newEventsCommand(deps, g),
		newCpCommand(deps, g),
		newPullCommand(deps, g),
		newPushCommand(deps, g),
		newRollbackCommand(deps, g),
		newPublishCommand(deps, g),
	)
	root.AddCommand(newGraphCommand(deps, g), newCompletionCommand(deps), newPluginMetadataCommand(deps))
	installCompletions(root, deps, g)
	wrapEngineGone(root, g)
	return root
}

// loaderOptions turns the global flags into loader options.
func (g *globalOptions) loaderOptions(deps *Deps) loader.Options {
	key, _ := g.digestKey(deps)
	return loader.Options{
		Files: g.Files, ProjectName: g.ProjectName, ProjectDirectory: g.ProjectDirectory,
		Profiles: g.Profiles, EnvFiles: g.EnvFiles, WorkDir: deps.WorkDir, Environ: deps.Environ,
		Swarm: g.Swarm, DigestKey: key, ReadFiles: g.readFiles, AllResources: g.AllResources,
		Compatibility:   g.Compatibility || boolEnv(environ.Get(deps.Environ, "COMPOSE_COMPATIBILITY")),
		APISocketConfig: func() ([]byte, error) { return dockerengine.CLICredentials(deps.Environ) },
		APISocket: func() (string, error) {
			return dockerengine.SocketPath(dockerengine.Selection{Host: g.Host, Context: g.Context, Environ: deps.Environ})
		},
	}
}

// load loads the project and prints its warnings.
func (g *globalOptions) load(ctx context.Context, deps *Deps) (*project.Project, error) {
	p, err := loader.Load(ctx, g.loaderOptions(deps))
	if err != nil {
		return nil, err
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(deps.Stderr, "WARN[0000] %s\n", w)
	}
	if _, err := g.digestKey(deps); err != nil {
		fmt.Fprintf(deps.Stderr, "WARN[0000] %v: a rotated secret or config is not noticed and recreates are explained less precisely\n", err)
	}
	return p, nil
}

// projectName resolves the project for commands that can work from labels
// alone (down, ps): the loaded project when a compose file is found, else
// -p or COMPOSE_PROJECT_NAME.
func (g *globalOptions) projectName(ctx context.Context, deps *Deps) (string, *project.Project, error) {
	p, err := g.load(ctx, deps)
	if err == nil {
		return p.Name, p, nil
	}
	name := g.ProjectName
	if name == "" {
		name = envValue(deps.Environ, "COMPOSE_PROJECT_NAME")
	}
	if name == "" || len(g.Files) > 0 || !isNoConfig(err) {
		return "", nil, err
	}
	if verr := project.ValidateProjectName(name); verr != nil {
		return "", nil, verr
	}
	return name, nil, nil
}

func isNoConfig(err error) bool {
	return errors.Is(err, loader.ErrNoConfigFile)
}

// preconnect starts connecting to the engine while the caller loads the
// project, so that the ping's round trip overlaps loading (a remote
// engine's round trip is tens of milliseconds). The next connect returns
// its outcome; an error of loading still comes first, as the caller
// reports it before connecting. The returned func closes the engine when
// nothing took it.
func (g *globalOptions) preconnect(ctx context.Context, deps *Deps) (release func()) {
	pc := &pendingConn{ch: make(chan connected, 1)}
	g.pending = pc
	go func() {
		eng, err := g.connectNow(ctx, deps)
		pc.ch <- connected{eng, err}
	}()
	return func() {
		if !pc.taken.CompareAndSwap(false, true) {
			return
		}
		// Without waiting: an engine that does not answer must not hold
		// the exit of a command that already failed.
		go func() {
			if c := <-pc.ch; c.eng != nil {
				c.eng.Close()
			}
		}()
	}
}

// connect opens the engine and checks that it answers, so that an
// unreachable engine is one clear line; it takes the connection preconnect
// started, if any.
func (g *globalOptions) connect(ctx context.Context, deps *Deps) (Engine, error) {
	if pc := g.pending; pc != nil && pc.taken.CompareAndSwap(false, true) {
		c := <-pc.ch
		return c.eng, c.err
	}
	return g.connectNow(ctx, deps)
}

func (g *globalOptions) connectNow(ctx context.Context, deps *Deps) (Engine, error) {
	eng, err := g.openEngine(deps)
	if err != nil {
		return nil, err
	}
	if err := eng.Ping(ctx); err != nil {
		eng.Close()
		return nil, withEngineSource(eng, err)
	}
	g.watchEngine(eng)
	return eng, nil
}

func envValue(environ []string, key string) string {
	v, _ := lookupEnv(environ, key)
	return v
}

// lookupEnv is os.LookupEnv on environ (the last KEY= wins).
func lookupEnv(environ []string, key string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func envBool(environ []string, key string) bool {
	switch strings.ToLower(envValue(environ, key)) {
	case "1", "true", "yes", "y":
		return true
	}
	return false
}

// usageError marks errors in the command line itself.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// ExitError carries a specific exit code (for example a container's).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// ExitCode maps an error to the process exit code: 0 for none, 130 for an
// interrupt, the carried code for ExitError, 1 otherwise.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return 130
	}
	return 1
}

// boolEnv reads a boolean environment variable as Docker Compose does
// ("1", "true", ...); anything else is false.
func boolEnv(v string) bool {
	b, _ := strconv.ParseBool(strings.TrimSpace(v))
	return b
}
