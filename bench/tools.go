package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// tool is one contender: a compose CLI or the floor.
type tool struct {
	name    string   // label in the report
	key     string   // part of project names
	argv    []string // command prefix; nil for the floor
	sep     string   // container name separator: <project><sep><svc><sep><n>
	version string
	// noScale: the tool has no `scale` command; `up -d --scale` stands in.
	noScale bool
	peer    bool // a Docker Compose release (the goals compare with the best of them)
}

func (t *tool) isFloor() bool { return t.argv == nil }

// sample is one timed step: wall time, client CPU (user+sys) and the
// client's peak resident memory in KiB (0 for the floor).
type sample struct {
	wall, cpu time.Duration
	rss       int64
}

// defaultPeers is how many Docker Compose releases run by default, the
// newest: each one adds about 5 minutes to the benchmark.
const defaultPeers = 2

// selectTools resolves -tools; empty means mycompose, the defaultPeers
// newest Docker Compose releases that scripts/compose-peers.sh installed,
// `docker compose` when the docker CLI has the plugin, and the floor. Older
// releases and docker-compose v1 (Python) are measured only when named.
func selectTools(names []string, bin, root string) ([]*tool, error) {
	avail := []*tool{{name: "mycompose", key: "mycompose", argv: []string{bin}, sep: "-"}}
	avail[0].version = firstLine(output(bin, "version", "--short"))
	peers := peerTools(root)
	avail = append(avail, peers[:min(len(peers), defaultPeers)]...)
	if v, err := exec.Command("docker", "compose", "version", "--short").Output(); err == nil {
		avail = append(avail, &tool{name: "docker compose", key: "dcv2", argv: []string{"docker", "compose"}, sep: "-", version: strings.TrimSpace(string(v))})
	}
	var v1 *tool
	if v, err := exec.Command("docker-compose", "version", "--short").Output(); err == nil && strings.HasPrefix(strings.TrimSpace(string(v)), "1.") {
		v1 = &tool{name: "docker-compose v1", key: "dcv1", argv: []string{"docker-compose"}, sep: "_", version: strings.TrimSpace(string(v)), noScale: true}
	}
	floor := &tool{name: "floor", key: "floor", sep: "-", version: "engine API, no compose logic"}
	if len(names) == 0 {
		return append(avail, floor), nil
	}
	avail = append(avail, peers[min(len(peers), defaultPeers):]...)
	if v1 != nil {
		avail = append(avail, v1)
	}
	avail = append(avail, floor)
	var out []*tool
	for _, n := range names {
		n = strings.TrimSpace(n)
		var found *tool
		for _, t := range avail {
			if v := strings.TrimPrefix(n, "v"); t.name == n || t.key == n || t.version == v || strings.HasPrefix(t.version, v+"-") ||
				(n == "docker-compose-v1" && t == v1) || (n == "docker-compose-v2" && t.key == "dcv2") {
				found = t
			}
		}
		if found == nil {
			return nil, fmt.Errorf("-tools: %q is unknown or not installed here (present: %s)", n, toolNames(avail))
		}
		out = append(out, found)
	}
	return out, nil
}

// peerTools returns the Docker Compose binaries that scripts/compose-peers.sh
// cached (<dir>/<version>/docker-compose), newest first.
func peerTools(root string) []*tool {
	dir := output(filepath.Join(root, "scripts", "compose-peers.sh"), "dir")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []*tool
	for _, e := range entries {
		bin := filepath.Join(dir, e.Name(), "docker-compose")
		if st, err := os.Stat(bin); err != nil || st.Mode()&0o111 == 0 {
			continue
		}
		ver := strings.TrimPrefix(output(bin, "version", "--short"), "v")
		if ver == "unknown" {
			continue
		}
		out = append(out, &tool{name: "Compose " + ver, key: "dc" + strings.NewReplacer(".", "", "-", "").Replace(ver),
			argv: []string{bin}, sep: "-", version: ver, peer: true})
	}
	slices.SortFunc(out, func(a, b *tool) int { return compareVersions(b.version, a.version) })
	return out
}

// compareVersions orders dotted versions numerically.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(strings.TrimLeftFunc(pa[i], func(r rune) bool { return r < '0' || r > '9' }))
		y, _ := strconv.Atoi(strings.TrimLeftFunc(pb[i], func(r rune) bool { return r < '0' || r > '9' }))
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}

func toolNames(ts []*tool) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.name)
	}
	return strings.Join(names, ", ")
}

func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// exec runs the tool in the run's directory on its compose file, measures
// the child process and keeps its output for failure reports.
func (r *runner) exec(ctx context.Context, args ...string) (sample, error) {
	cmd, m, err := r.command(ctx, args...)
	if err != nil {
		return sample{}, err
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = r.run(cmd)
	s := sample{wall: time.Since(start)}
	r.out = out.String()
	if ms, ok := m.sample(); ok {
		s = ms // the tool's own, without the measuring process
	}
	if err != nil {
		return s, fmt.Errorf("%s %s: %v\n%s", r.tool.name, strings.Join(args, " "), err, tail(out.String(), 12))
	}
	return s, nil
}

// run starts cmd, closes the report's write end in this process, and
// waits.
func (r *runner) run(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	return cmd.Wait()
}

// command is the tool's command line for args, in the run's directory, on
// its compose file and project, through the proxy when there is one, run
// under measure mode.
func (r *runner) command(ctx context.Context, args ...string) (*exec.Cmd, *measured, error) {
	t := r.tool
	argv := append(append(append([]string{}, t.argv[1:]...), "-p", r.project, "-f", "compose.yaml"), args...)
	cmd := exec.CommandContext(ctx, t.argv[0], argv...)
	cmd.Dir = r.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// The measuring process leads the group: a cancel kills the tool too.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if r.proxy != nil {
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+r.proxy.dockerHost())
	}
	if cmd.Err != nil {
		return nil, nil, cmd.Err
	}
	m, err := wrap(cmd)
	return cmd, m, err
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// rusageSelf returns this process's CPU time so far (user+sys), for the floor.
func rusageSelf() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
