package main

// The dev loop (issue 16), measured beside Docker Compose v5.6 in the same
// run: watch latency (devloop_watch.go) and builds of a 10-service project
// whose services share a base stage (devloop_build.go). The Compose peer is
// the binary scripts/compose-peers.sh builds (`make peers`); this engine's
// docker CLI has no compose plugin.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mycompose/mycompose/convergence/dockerengine"
)

// peerVersion is the Docker Compose the dev loop is compared with.
const peerVersion = "5.6.0"

// devloopParts are the -devloop values.
var devloopParts = []string{"watch", "build"}

// devloopResults are the dev loop's measurements, for the report.
type devloopResults struct {
	tools   []*tool
	missing string // why the peer is absent, "" when measured
	watch   []watchRow
	build   []buildRow
	svcs    int // services of the build project
	elapsed time.Duration
	loads   []float64
}

func (d *devloopResults) failures() int {
	if d == nil {
		return 0
	}
	n := 0
	for _, w := range d.watch {
		if w.err != nil {
			n++
		}
	}
	for _, b := range d.build {
		n += len(b.fails)
	}
	return n
}

// parseDevloop checks a -devloop value: a comma-separated subset of
// devloopParts, or "none".
func parseDevloop(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		switch f = strings.TrimSpace(f); {
		case f == "" || f == "none":
		case f == "watch" || f == "build":
			out = append(out, f)
		default:
			return nil, fmt.Errorf("-devloop: %q is not one of watch, build, none", f)
		}
	}
	return out, nil
}

// devloopTools are mycompose and, when installed, Docker Compose v5.6.
func devloopTools(root, bin string) ([]*tool, string) {
	mc := &tool{name: "mycompose", key: "mc", argv: []string{bin}, sep: "-", version: firstLine(output(bin, "version", "--short"))}
	dir := strings.TrimSpace(output(filepath.Join(root, "scripts", "compose-peers.sh"), "dir"))
	peer := filepath.Join(dir, peerVersion, "docker-compose")
	if _, err := os.Stat(peer); err != nil {
		return []*tool{mc}, fmt.Sprintf("Docker Compose v%s is not installed at %s (`make peers` builds it)", peerVersion, peer)
	}
	return []*tool{mc, {name: "Compose v" + peerVersion, key: "dc", argv: []string{peer}, sep: "-", version: firstLine(output(peer, "version", "--short"))}}, ""
}

// runDevloop measures the selected dev loop parts for every tool.
func runDevloop(ctx context.Context, cfg config, root, bin string, eng *dockerengine.Engine) (*devloopResults, error) {
	start := time.Now()
	d := &devloopResults{svcs: buildServices(cfg.quick)}
	d.tools, d.missing = devloopTools(root, bin)
	if len(cfg.tools) > 0 { // -tools: those of the dev loop's it names
		d.tools = slices.DeleteFunc(d.tools, func(t *tool) bool { return !slices.Contains(cfg.tools, t.name) })
	}
	for _, part := range cfg.devloop {
		for _, t := range d.tools {
			if err := ctx.Err(); err != nil {
				return d, err
			}
			switch part {
			case "watch":
				rows := measureWatch(ctx, cfg, t)
				for _, r := range rows {
					fmt.Fprintf(cfg.log, "devloop watch %-15s %-32s %s\n", t.name, r.scenario, r.summary())
				}
				d.watch = append(d.watch, rows...)
			case "build":
				rows := measureBuild(ctx, cfg, eng, t)
				for _, r := range rows {
					fmt.Fprintf(cfg.log, "devloop build %-15s %-32s %s\n", t.name, r.step, r.summary())
				}
				d.build = append(d.build, rows...)
			}
			d.loads = append(d.loads, load1())
		}
		if part == "build" {
			rows := measureDockerBuild(ctx, cfg)
			for _, r := range rows {
				fmt.Fprintf(cfg.log, "devloop build %-15s %-32s %s\n", "docker build", r.step, r.summary())
			}
			d.build = append(d.build, rows...)
		}
	}
	d.elapsed = time.Since(start)
	return d, nil
}

// devProject is a fresh directory and project name for one tool.
func devProject(part string, t *tool) (*runner, error) {
	suffix := make([]byte, 3)
	rand.Read(suffix)
	r := &runner{tool: t, project: fmt.Sprintf("mcbench-dl-%s-%s-%s", part, t.key, hex.EncodeToString(suffix))}
	dir, err := os.MkdirTemp("", r.project)
	r.dir = dir
	return r, err
}

// dockerOut runs docker and returns its trimmed output.
func dockerOut(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, tail(string(out), 4))
	}
	return strings.TrimSpace(string(out)), nil
}
