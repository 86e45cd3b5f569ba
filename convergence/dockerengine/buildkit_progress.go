package dockerengine

import (
	"fmt"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/mycompose/mycompose/convergence"
)

// tailLines bounds how much of a failed step's output its error keeps:
// all of it for any ordinary step, the end of a runaway one.
const tailLines = 2000

// stepTracker turns BuildKit's solve status stream (vertexes that start,
// complete, are cached or fail, and their logs) into one BuildProgress
// per state change or output line, and remembers the failing step.
type stepTracker struct {
	emit  func(convergence.BuildProgress)
	steps map[digest.Digest]*buildStep
	order []digest.Digest
}

type buildStep struct {
	name    string
	state   string
	started time.Time
	partial string   // output after the last newline
	tail    []string // last lines of output
	cut     int      // lines dropped from the front of tail
	err     string
}

func newStepTracker(emit func(convergence.BuildProgress)) *stepTracker {
	if emit == nil {
		emit = func(convergence.BuildProgress) {}
	}
	return &stepTracker{emit: emit, steps: map[digest.Digest]*buildStep{}}
}

func (t *stepTracker) step(d digest.Digest, name string) *buildStep {
	s, ok := t.steps[d]
	if !ok {
		s = &buildStep{name: name}
		t.steps[d] = s
		t.order = append(t.order, d)
	}
	if name != "" {
		s.name = name
	}
	return s
}

// update applies one status message.
func (t *stepTracker) update(st *bkclient.SolveStatus) {
	for _, v := range st.Vertexes {
		s := t.step(v.Digest, v.Name)
		switch {
		case v.Cached && s.state == "":
			t.set(s, convergence.StepCached, "")
		case v.Completed != nil && v.Error != "":
			t.flush(s)
			s.err = v.Error
			t.set(s, convergence.StepError, v.Error)
		case v.Completed != nil && (s.state == convergence.StepRunning || s.state == ""):
			t.flush(s)
			d := time.Duration(0)
			if v.Started != nil {
				d = v.Completed.Sub(*v.Started)
			}
			t.set(s, convergence.StepDone, fmt.Sprintf("%.1fs", d.Seconds()))
		case v.Started != nil && v.Completed == nil && s.state == "":
			s.started = *v.Started
			t.set(s, convergence.StepRunning, "")
		}
	}
	for _, l := range st.Logs {
		s := t.step(l.Vertex, "")
		text := s.partial + string(l.Data)
		lines := strings.Split(text, "\n")
		s.partial = lines[len(lines)-1]
		for _, line := range lines[:len(lines)-1] {
			t.output(s, strings.TrimRight(line, "\r"))
		}
	}
}

func (t *stepTracker) set(s *buildStep, state, detail string) {
	s.state = state
	t.emit(convergence.BuildProgress{Step: s.name, State: state, Detail: detail})
}

func (t *stepTracker) flush(s *buildStep) {
	if s.partial != "" {
		t.output(s, s.partial)
		s.partial = ""
	}
}

func (t *stepTracker) output(s *buildStep, line string) {
	s.tail = append(s.tail, line)
	if len(s.tail) > tailLines {
		s.cut += len(s.tail) - tailLines
		s.tail = s.tail[len(s.tail)-tailLines:]
	}
	t.emit(convergence.BuildProgress{Step: s.name, Output: line})
}

// failure describes the step that failed, with the end of its output, or
// "" when no step did (the error is then about the build as a whole).
func (t *stepTracker) failure() string {
	for _, d := range t.order {
		s := t.steps[d]
		if s.err == "" {
			continue
		}
		t.flush(s)
		msg := fmt.Sprintf("step %s failed: %s", s.name, s.err)
		switch {
		case s.cut > 0:
			msg += fmt.Sprintf("\n  output (the first %d lines cut):\n    ", s.cut) + strings.Join(s.tail, "\n    ")
		case len(s.tail) > 0:
			msg += "\n  output:\n    " + strings.Join(s.tail, "\n    ")
		}
		return msg
	}
	return ""
}
