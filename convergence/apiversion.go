package convergence

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mycompose/mycompose/project"
)

// EngineVersion is what mycompose knows of the engine it talks to: the API
// version negotiated with it decides which features may be used, never the
// engine's name or release.
type EngineVersion struct {
	// API is the API version negotiated with the engine ("1.41"); it is
	// lower than MaxAPI when DOCKER_API_VERSION pins it.
	API string
	// Version is the engine's release ("20.10.24"), for messages.
	Version string
	// MaxAPI is the highest API version the engine speaks.
	MaxAPI string
}

// MultiNetworkCreateAPI is the first API version whose container create
// honours more than one network in EndpointsConfig; older engines join
// the further networks by connect before start.
const MultiNetworkCreateAPI = "1.44"

// ErrEngineAPI is wrapped by the error of CheckAPI: a key of the project
// needs a newer engine API than the negotiated one.
var ErrEngineAPI = errors.New("the key needs a newer Docker Engine API")

// APIError lists the keys the engine's API cannot honour, one line each.
type APIError struct{ Lines []string }

func (e *APIError) Error() string { return strings.Join(e.Lines, "\n") }
func (e *APIError) Unwrap() error { return ErrEngineAPI }

// APIAtLeast reports whether API version v is min or later ("1.45" >=
// "1.44"). An empty or malformed v counts as too old: without knowing
// the engine, mycompose uses what every supported engine has.
func APIAtLeast(v, min string) bool {
	a, okA := parseAPI(v)
	b, okB := parseAPI(min)
	if !okA || !okB {
		return false
	}
	if a[0] != b[0] {
		return a[0] > b[0]
	}
	return a[1] >= b[1]
}

func parseAPI(v string) ([2]int, bool) {
	maj, mnr, ok := strings.Cut(v, ".")
	if !ok {
		return [2]int{}, false
	}
	x, err1 := strconv.Atoi(maj)
	y, err2 := strconv.Atoi(mnr)
	return [2]int{x, y}, err1 == nil && err2 == nil
}

// CheckAPI refuses the keys of the given services (nil: all) that need a
// newer API version than the one negotiated with the engine, naming the
// key, the version it needs and the engine's. It is pure, so that every
// command that creates containers decides the same way.
func CheckAPI(p *project.Project, services []string, ev EngineVersion) error {
	in := map[string]bool{}
	for _, s := range services {
		in[s] = true
	}
	var lines []string
	for _, svc := range p.Services {
		if services != nil && !in[svc.Name] {
			continue
		}
		for _, r := range svc.Requires {
			if APIAtLeast(ev.API, r.API) {
				continue
			}
			lines = append(lines, apiRefusal(svc.Name, r, ev))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	sort.Strings(lines)
	return &APIError{Lines: lines}
}

func apiRefusal(service string, r project.APIRequirement, ev EngineVersion) string {
	engine := "the engine"
	if ev.Version != "" {
		engine = fmt.Sprintf("the engine (Docker %s)", ev.Version)
	}
	api := ev.API
	if api == "" {
		api = "unknown"
	}
	msg := fmt.Sprintf("service %q: key %q needs Docker Engine API %s or later, but %s is used with API %s", service, r.Key, r.API, engine, api)
	if APIAtLeast(ev.MaxAPI, r.API) {
		// The engine could: the client was pinned lower.
		msg += fmt.Sprintf(" (it speaks up to %s: unset DOCKER_API_VERSION)", ev.MaxAPI)
	} else {
		msg += ": upgrade the engine, or remove the key"
	}
	if r.Where != "" {
		msg = r.Where + ": " + msg
	}
	return msg
}

// WithRelease fills in the engine's release, which a no-op never needs
// and so is asked for only when a refusal names it.
func WithRelease(ctx context.Context, eng Engine, ev EngineVersion) (EngineVersion, error) {
	if ev.Version != "" {
		return ev, nil
	}
	v, err := eng.EngineRelease(ctx)
	if err != nil {
		return ev, err
	}
	ev.Version = v
	return ev, nil
}

// ErrNoJobsAPI is wrapped by the refusal of a job: the Docker Engine's jobs
// extension, which runs Docker Compose v5.6's jobs, is not on the engine.
var ErrNoJobsAPI = errors.New("the engine has no jobs extension")

// CheckJobs refuses what only the engine's jobs extension can do, naming
// the engine: up registers the scheduled jobs (run, when name is set, runs
// job name). No engine mycompose speaks to (Docker 20.10 to 26.1, API 1.41
// to 1.45) has that extension.
func CheckJobs(p *project.Project, name string, ev EngineVersion) error {
	engine := fmt.Sprintf("the engine (Docker %s) used with API %s", ev.Version, ev.API)
	at := func(j project.Job) string {
		if j.Where == "" {
			return ""
		}
		return j.Where + ": "
	}
	if j, ok := p.Job(name); ok && name != "" {
		return fmt.Errorf("%sjob %q: jobs are run by the Docker Engine's jobs extension, which %s does not provide: run its command as a service instead%.0w", at(j), name, engine, ErrNoJobsAPI)
	}
	var lines []string
	for _, j := range p.Jobs {
		if j.Scheduled {
			lines = append(lines, fmt.Sprintf("%sjob %q has a schedule: scheduled jobs are registered with the Docker Engine's jobs extension, which %s does not provide: remove the job, or run its command as a service", at(j), j.Name, engine))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("%s%.0w", strings.Join(lines, "\n"), ErrNoJobsAPI)
}
