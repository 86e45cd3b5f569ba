package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
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
}

func (t *tool) isFloor() bool { return t.argv == nil }

// sample is one timed step: wall time and client CPU (user+sys).
type sample struct {
	wall, cpu time.Duration
}

// selectTools resolves -tools; empty means every tool present here.
func selectTools(names []string, bin string) ([]*tool, error) {
	avail := []*tool{{name: "mycompose", key: "mycompose", argv: []string{bin}, sep: "-"}}
	avail[0].version = firstLine(output(bin, "version", "--short"))
	if v, err := exec.Command("docker-compose", "version", "--short").Output(); err == nil {
		ver := strings.TrimSpace(string(v))
		if strings.HasPrefix(ver, "1.") {
			avail = append(avail, &tool{name: "docker-compose", key: "dcv1", argv: []string{"docker-compose"}, sep: "_", version: ver, noScale: true})
		} else {
			// A v2 standalone binary installed as docker-compose.
			avail = append(avail, &tool{name: "docker-compose", key: "dcv2s", argv: []string{"docker-compose"}, sep: "-", version: ver})
		}
	}
	if v, err := exec.Command("docker", "compose", "version", "--short").Output(); err == nil {
		avail = append(avail, &tool{name: "docker compose", key: "dcv2", argv: []string{"docker", "compose"}, sep: "-", version: strings.TrimSpace(string(v))})
	}
	avail = append(avail, &tool{name: "floor", key: "floor", sep: "-", version: "engine API, no compose logic"})
	if len(names) == 0 {
		return avail, nil
	}
	var out []*tool
	for _, n := range names {
		n = strings.TrimSpace(n)
		want := map[string]string{"docker-compose-v2": "docker compose", "compose-v2": "docker compose", "docker-compose-v1": "docker-compose"}[n]
		if want == "" {
			want = n
		}
		var found *tool
		for _, t := range avail {
			if t.name == want {
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
	t := r.tool
	argv := append(append(append([]string{}, t.argv[1:]...), "-p", r.project, "-f", "compose.yaml"), args...)
	cmd := exec.CommandContext(ctx, t.argv[0], argv...)
	cmd.Dir = r.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start)}
	r.out = out.String()
	if ps := cmd.ProcessState; ps != nil {
		s.cpu = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		return s, fmt.Errorf("%s %s: %v\n%s", t.name, strings.Join(args, " "), err, tail(out.String(), 12))
	}
	return s, nil
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
