package watch

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/mycompose/mycompose/project"
)

// editorPatterns are the temporary files editors write next to the file
// being saved (vim's 4913 and swap files, emacs locks and autosaves, JetBrains
// safe-write copies, kate swaps, backup files): a change to them is never
// a change of the project. .git is left out too: git rewrites its index and
// locks on every command.
var editorPatterns = []string{
	"**/4913", "**/*~", "**/.*.swp", "**/.*.swx", "**/.*.swo", "**/.*.swn",
	"**/*.swp", "**/.#*", "**/#*#", "**/*___jb_old___", "**/*___jb_tmp___",
	"**/.*.kate-swp", "**/.~lock.*#", "**/.git",
}

var editorMatcher = mustMatcher(editorPatterns)

func mustMatcher(patterns []string) *patternmatcher.PatternMatcher {
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		panic(err)
	}
	return pm
}

// rule is a project.WatchRule of one service with its matchers compiled.
type rule struct {
	project.WatchRule
	Service string
	Index   int // position in the service's develop.watch, for messages
	ignore  *patternmatcher.PatternMatcher
	include *patternmatcher.PatternMatcher // nil: everything
	// context is the build context and dockerignore its .dockerignore,
	// applied to paths below the context (nil when the service has no build).
	context      string
	dockerignore *patternmatcher.PatternMatcher
}

// compileRules compiles the watch rules of the services (sorted by service,
// then in file order). A rule whose path does not exist is an error: there
// is nothing to watch until it does.
func compileRules(p *project.Project, services []string) ([]*rule, error) {
	var out []*rule
	for _, name := range services {
		svc, ok := p.Service(name)
		if !ok {
			return nil, fmt.Errorf("no such service: %q", name)
		}
		var di *patternmatcher.PatternMatcher
		if svc.Build != nil {
			var err error
			if di, err = readDockerignore(svc.Build.Context); err != nil {
				return nil, fmt.Errorf("service %q: %w", name, err)
			}
		}
		for i, wr := range svc.Watch {
			if _, err := os.Stat(wr.Path); err != nil {
				return nil, fmt.Errorf("service %q: develop.watch[%d].path %q does not exist: create it or fix the path", name, i, wr.Path)
			}
			r := &rule{WatchRule: wr, Service: name, Index: i, dockerignore: di}
			if svc.Build != nil {
				r.context = svc.Build.Context
			}
			var err error
			if r.ignore, err = patternmatcher.New(wr.Ignore); err != nil {
				return nil, fmt.Errorf("service %q: develop.watch[%d].ignore: %w", name, i, err)
			}
			if len(wr.Include) > 0 {
				if r.include, err = patternmatcher.New(wr.Include); err != nil {
					return nil, fmt.Errorf("service %q: develop.watch[%d].include: %w", name, i, err)
				}
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func readDockerignore(dir string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	return patternmatcher.New(patterns)
}

// rel returns hostPath relative to the rule's path (slash-separated, "."
// for the path itself) and whether hostPath is at or below it.
func (r *rule) rel(hostPath string) (string, bool) {
	if hostPath == r.Path {
		return ".", true
	}
	if !strings.HasPrefix(hostPath, r.Path+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(hostPath[len(r.Path)+1:]), true
}

// matches reports whether a change of hostPath triggers the rule: below
// its path, not an editor's temporary file, not ignored (ignore, then the
// build context's .dockerignore), and included when include is set.
func (r *rule) matches(hostPath string) bool {
	rel, ok := r.rel(hostPath)
	if !ok {
		return false
	}
	if rel == "." {
		// The watched path itself (a single watched file, or the root
		// directory appearing again).
		return !r.ignoredAbs(hostPath)
	}
	if ignored(editorMatcher, rel) || ignored(r.ignore, rel) || r.ignoredAbs(hostPath) {
		return false
	}
	return r.include == nil || ignored(r.include, rel)
}

// ignoredAbs applies the .dockerignore of the build context.
func (r *rule) ignoredAbs(hostPath string) bool {
	if r.dockerignore == nil || r.context == "" {
		return false
	}
	rel, err := filepath.Rel(r.context, hostPath)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return false
	}
	return ignored(r.dockerignore, filepath.ToSlash(rel))
}

// ignored reports whether pm matches rel or one of its parent directories.
func ignored(pm *patternmatcher.PatternMatcher, rel string) bool {
	if pm == nil {
		return false
	}
	m, err := pm.MatchesOrParentMatches(rel)
	return err == nil && m
}

// skipDir reports whether a whole directory below the rule is ignored, so
// that neither the watcher nor a sync descends into it. A directory with
// exclusions (!pattern) below an ignore is still visited.
func (r *rule) skipDir(hostPath string) bool {
	rel, ok := r.rel(hostPath)
	if !ok || rel == "." {
		return false
	}
	if ignored(editorMatcher, rel) {
		return true
	}
	if ignored(r.ignore, rel) && !r.ignore.Exclusions() {
		return true
	}
	return r.ignoredAbs(hostPath) && !r.dockerignore.Exclusions()
}

// containerPath maps a host path below the rule to its container path.
func (r *rule) containerPath(hostPath string) string {
	rel, _ := r.rel(hostPath)
	if rel == "." {
		return r.Target
	}
	return path.Join(r.Target, rel)
}
