package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/internal/environ"
	"github.com/mycompose/mycompose/project"
)

// pullPolicyFlag validates up's --pull: "" or "policy" (each service's
// pull_policy, returned as ""), or always, missing, never for every service.
func pullPolicyFlag(policy string) (string, error) {
	switch policy {
	case "", "policy":
		return "", nil
	case convergence.PullAlways, convergence.PullMissing, convergence.PullNever:
		return policy, nil
	}
	return "", usageError{fmt.Errorf("invalid --pull %q: use always, missing, never or policy (each service's pull_policy)", policy)}
}

// serviceImages returns the image references of the services (nil: all),
// deduplicated and sorted.
func serviceImages(p *project.Project, services []string) []string {
	in := map[string]bool{}
	for _, s := range services {
		in[s] = true
	}
	seen := map[string]bool{}
	var refs []string
	for _, s := range p.Services {
		if r := s.Container.Image; r != "" && !seen[r] && (services == nil || in[s.Name]) {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	sort.Strings(refs)
	return refs
}

type pullOptions struct {
	Quiet          bool
	IgnoreFailures bool
	IncludeDeps    bool
	Policy         string
}

func newPullCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &pullOptions{}
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] [SERVICE...]",
		Short: "Pull service images",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "pull without printing progress information")
	f.BoolVar(&o.IgnoreFailures, "ignore-pull-failures", false, "pull what it can and ignore images with pull failures")
	f.BoolVar(&o.IncludeDeps, "include-deps", false, "also pull services declared as dependencies")
	f.StringVar(&o.Policy, "policy", "", `apply pull policy ("missing"|"always") instead of each service's pull_policy`)
	return cmd
}

// runPull pulls the images of the services (all by default). Without
// --policy, services without pull_policy are pulled even when present (as
// Docker Compose does); pull_policy never and build are skipped, missing
// skips images that are present.
func runPull(ctx context.Context, deps *Deps, g *globalOptions, o *pullOptions, args []string) error {
	if o.Policy != "" && o.Policy != convergence.PullMissing && o.Policy != convergence.PullAlways {
		return usageError{fmt.Errorf("invalid --policy %q: use missing or always", o.Policy)}
	}
	p, err := g.load(ctx, deps)
	if err != nil {
		return err
	}
	services, err := selectServices(p, args, !o.IncludeDeps)
	if err != nil {
		return err
	}
	eng, err := g.connect(ctx, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	present, err := eng.ImageIDs(ctx, serviceImages(p, services))
	if err != nil {
		return err
	}
	log := openPullLog(deps, eng.Endpoint())
	pulls, skipped, err := convergence.PlanPulls(p, present, convergence.PullPlanOptions{
		Services: services, Override: o.Policy, Default: convergence.PullAlways, Log: log, Now: time.Now(),
	})
	if err != nil {
		return err
	}
	if !o.Quiet {
		for _, s := range skipped {
			fmt.Fprintf(deps.Stderr, " Image %s  Skipped (%s)\n", s.Ref, s.Reason)
		}
	}
	if g.DryRun {
		fmt.Fprintln(deps.Stderr, "DRY-RUN MODE: nothing is changed")
		for _, pl := range pulls {
			fmt.Fprintln(deps.Stdout, pl.String())
		}
		return nil
	}
	pu := &convergence.Puller{Store: eng, Parallel: parallelLimit(deps), Log: log, IgnoreFailures: o.IgnoreFailures}
	if !o.Quiet {
		ui := g.progressView(deps, pullView(pulls))
		defer ui.done()
		pu.Events, pu.Progress = ui.event, ui.pull
	}
	err = pu.Pull(ctx, pulls)
	log.save(deps)
	return err
}

// pullLog is the PullLog of one engine, kept in a small JSON file under the
// user's cache directory ($XDG_CACHE_HOME/mycompose/pulls.json, else
// ~/.cache/mycompose/pulls.json): engine endpoint -> reference -> the image
// ID pulled and when. The engine keeps no pull time itself (an image's
// LastTagTime changes on `docker tag` only), and the daily, weekly and
// every_<duration> policies need one. An entry whose ID is no longer the
// reference's local image is ignored, so a `docker pull` or `docker build`
// behind mycompose's back makes the next up pull again.
type pullLog struct {
	path     string // "" when no cache directory is known: memory only
	endpoint string
	mu       sync.Mutex
	entries  map[string]pullEntry // ref -> entry, this engine's
	added    map[string]pullEntry
}

type pullEntry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// pullLogFile is the file's shape.
type pullLogFile struct {
	Engines map[string]map[string]pullEntry `json:"engines"`
}

// pullLogMaxAge bounds the entries kept: older ones are dropped on save.
const pullLogMaxAge = 366 * 24 * time.Hour

func openPullLog(deps *Deps, endpoint string) *pullLog {
	l := &pullLog{endpoint: endpoint, entries: map[string]pullEntry{}, added: map[string]pullEntry{}}
	dir := cacheDir(deps)
	if dir == "" {
		return l
	}
	l.path = filepath.Join(dir, "pulls.json")
	if f, err := readPullLog(l.path); err == nil {
		for ref, e := range f.Engines[endpoint] {
			l.entries[ref] = e
		}
	}
	return l
}

// cacheDir is mycompose's directory in the user's cache directory
// ($XDG_CACHE_HOME/mycompose, else ~/.cache/mycompose), or "" when neither
// is an absolute path (see environ.CacheDir).
func cacheDir(deps *Deps) string {
	return environ.CacheDir(func(k string) string { return envValue(deps.Environ, k) })
}

func readPullLog(path string) (pullLogFile, error) {
	var f pullLogFile
	data, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	err = json.Unmarshal(data, &f)
	return f, err
}

// LastPull implements convergence.PullLog.
func (l *pullLog) LastPull(ref, imageID string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.entries[ref]; ok && e.ID == imageID {
		return e.At
	}
	return time.Time{}
}

// Record implements convergence.PullLog.
func (l *pullLog) Record(ref, imageID string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := pullEntry{ID: imageID, At: at.UTC()}
	l.entries[ref], l.added[ref] = e, e
}

// save merges the recorded pulls into the file (re-read, so that concurrent
// runs lose little) and replaces it atomically. A failure is a warning: it
// only costs a pull later.
func (l *pullLog) save(deps *Deps) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.path == "" || len(l.added) == 0 {
		return
	}
	if err := l.write(); err != nil {
		fmt.Fprintf(deps.Stderr, "WARN[0000] could not record pull times in %s: %v\n", l.path, err)
	}
	l.added = map[string]pullEntry{}
}

func (l *pullLog) write() error {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return err
	}
	// Read, merge and replace under an flock of a sibling file, so that two
	// runs saving together both keep their entries.
	lock, err := os.OpenFile(l.path+".lock", os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := flockTimeout(lock, 10*time.Second); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	f, err := readPullLog(l.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		f = pullLogFile{} // unreadable: start over
	}
	if f.Engines == nil {
		f.Engines = map[string]map[string]pullEntry{}
	}
	if f.Engines[l.endpoint] == nil {
		f.Engines[l.endpoint] = map[string]pullEntry{}
	}
	for ref, e := range l.added {
		f.Engines[l.endpoint][ref] = e
	}
	cutoff := time.Now().Add(-pullLogMaxAge)
	for _, refs := range f.Engines {
		for ref, e := range refs {
			if e.At.Before(cutoff) {
				delete(refs, ref)
			}
		}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.path), ".pulls-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), l.path)
}

// flockTimeout takes an exclusive flock on f, waiting at most timeout.
func flockTimeout(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EWOULDBLOCK {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is locked by another process for over %v", f.Name(), timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
