package loader

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/patternmatcher"

	"github.com/mycompose/mycompose/project"
)

// developSpec is the allow-list below develop: every key Docker Compose's
// watch knows.
var developSpec = spec{
	"watch": {
		"path": nil, "action": nil, "target": nil, "ignore": nil, "include": nil,
		"initial_sync": nil,
		"exec":         {"command": nil, "user": nil, "privileged": nil, "working_dir": nil, "environment": nil},
	},
}

// watchRules converts develop.watch, refusing rules that could not work:
// each problem names the rule (develop.watch[i]), what is wrong and the fix.
func (c *converter) watchRules(s types.ServiceConfig) []project.WatchRule {
	if s.Develop == nil {
		return nil
	}
	var out []project.WatchRule
	for i, t := range s.Develop.Watch {
		at := func(key string) []string {
			p := []string{"develop", "watch", fmt.Sprintf("[%d]", i)}
			if key != "" {
				p = append(p, key)
			}
			return p
		}
		rule := project.WatchRule{
			Path: t.Path, Action: string(t.Action), Target: t.Target,
			Ignore: copySlice(t.Ignore), Include: copySlice(t.Include), InitialSync: t.InitialSync,
		}
		if rule.Path == "" {
			c.serviceRefuse(s.Name, at(""), "develop.watch[%d] has no path: set path to the host directory or file to watch", i)
			continue
		}
		if !filepath.IsAbs(rule.Path) {
			rule.Path = filepath.Join(c.cp.WorkingDir, rule.Path)
		}
		switch rule.Action {
		case project.WatchSync, project.WatchSyncRestart, project.WatchSyncExec:
			if rule.Target == "" {
				c.serviceRefuse(s.Name, at(""), "develop.watch[%d]: action %q needs a target: set target to the container path that %q maps to", i, rule.Action, t.Path)
			} else if !path.IsAbs(rule.Target) {
				c.serviceRefuse(s.Name, at("target"), "develop.watch[%d].target %q is not an absolute container path: write it from the root, for example /app", i, rule.Target)
			}
			rule.Target = path.Clean(rule.Target)
		case project.WatchRebuild:
			if s.Build == nil {
				c.serviceRefuse(s.Name, at("action"), "develop.watch[%d]: action rebuild needs a build section: add build: to the service, or use action sync", i)
			}
		case project.WatchRestart:
		default:
			c.serviceRefuse(s.Name, at("action"), "develop.watch[%d].action %q is not a watch action: use sync, rebuild, restart, sync+restart or sync+exec", i, rule.Action)
		}
		if rule.InitialSync && !rule.Syncs() {
			c.serviceRefuse(s.Name, at("initial_sync"), "develop.watch[%d]: initial_sync applies to the sync actions only, not %q: remove it", i, rule.Action)
		}
		rule.Exec = c.watchExec(s.Name, i, t, at)
		for _, key := range []string{"ignore", "include"} {
			patterns := rule.Ignore
			if key == "include" {
				patterns = rule.Include
			}
			if _, err := patternmatcher.New(patterns); err != nil {
				c.serviceRefuse(s.Name, at(key), "develop.watch[%d].%s: %v: write .dockerignore-style patterns", i, key, err)
			}
		}
		out = append(out, rule)
	}
	return out
}

// watchExec converts the exec of a sync+exec rule; exec elsewhere is refused.
func (c *converter) watchExec(svc string, i int, t types.Trigger, at func(string) []string) *project.WatchExec {
	set := len(t.Exec.Command) > 0 || t.Exec.User != "" || t.Exec.Privileged || t.Exec.WorkingDir != "" || len(t.Exec.Environment) > 0
	if t.Action != types.WatchActionSyncExec {
		if set {
			c.serviceRefuse(svc, at("exec"), "develop.watch[%d].exec applies to action sync+exec only, not %q: change the action or remove exec", i, t.Action)
		}
		return nil
	}
	if len(t.Exec.Command) == 0 {
		c.serviceRefuse(svc, at(""), "develop.watch[%d]: action sync+exec needs exec.command: the command to run in the container after each sync", i)
		return nil
	}
	env := environment(t.Exec.Environment)
	sort.Strings(env)
	return &project.WatchExec{
		Command: command(t.Exec.Command), User: t.Exec.User, Privileged: t.Exec.Privileged,
		WorkingDir: t.Exec.WorkingDir, Env: env,
	}
}
