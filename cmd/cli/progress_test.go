package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/convergence"
)

func TestJSONProgressSchema(t *testing.T) {
	var buf bytes.Buffer
	deps := &Deps{Stderr: &buf}
	ui := newProgress(deps, progressJSON, false)
	ui.event(convergence.Event{Object: "Container", Name: "p-web-1", Status: "Started"})
	ui.event(convergence.Event{Object: "Network", Name: "p_default", Status: "Error", Detail: "boom"})
	ui.done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines: %q", lines)
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"version": float64(1), "object": "Network", "name": "p_default", "status": "Error", "detail": "boom"} {
		if e[k] != want {
			t.Errorf("%s = %v, want %v", k, e[k], want)
		}
	}
	if _, ok := e["time"].(string); !ok {
		t.Error("no time field")
	}
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	if _, ok := first["detail"]; ok {
		t.Error("empty detail is not omitted")
	}
}

func TestTTYProgressRedrawsInPlace(t *testing.T) {
	var buf bytes.Buffer
	p := &ttyProgress{out: &buf, width: 50, byKey: map[string]*ttyLine{}}
	p.event(convergence.Event{Object: "Network", Name: "p_default", Status: "Creating"})
	p.event(convergence.Event{Object: "Container", Name: "p-web-1", Status: "Creating"})
	buf.Reset()
	p.event(convergence.Event{Object: "Network", Name: "p_default", Status: "Created"})
	frame := buf.String()
	if !strings.HasPrefix(frame, "\x1b[2A") {
		t.Errorf("frame does not move up over the 2 previous lines: %q", frame)
	}
	if strings.Count(frame, "\x1b[2K") != 2 {
		t.Errorf("frame does not clear each line: %q", frame)
	}
	lines := strings.Split(strings.TrimSuffix(frame, "\n"), "\n")
	if !strings.Contains(lines[0], "✔ Network p_default  Created") || !strings.Contains(lines[1], "⠿ Container p-web-1  Creating") {
		t.Errorf("frame lines: %q", lines)
	}
	for _, l := range lines {
		l = strings.TrimPrefix(strings.TrimPrefix(l, "\x1b[2A"), "\x1b[2K")
		// One column short of the width: writing the last column makes
		// some terminals wrap, which would break the in-place redraw.
		if n := len([]rune(l)); n != 49 {
			t.Errorf("line is %d columns, want 49 on a 50-column terminal: %q", n, l)
		}
	}
}

func TestOutputFlagValidation(t *testing.T) {
	deps := &Deps{}
	if err := (&globalOptions{Progress: "fancy"}).validateOutputFlags(deps); err == nil {
		t.Error("--progress fancy accepted")
	}
	if err := (&globalOptions{Ansi: "sometimes"}).validateOutputFlags(deps); err == nil {
		t.Error("--ansi sometimes accepted")
	}
	if (&globalOptions{Ansi: "always"}).color(deps) != true || (&globalOptions{Ansi: "never"}).color(deps) != false {
		t.Error("--ansi not honoured")
	}
	if (&globalOptions{}).color(&Deps{Environ: []string{"COMPOSE_ANSI=always", "NO_COLOR=1"}}) != true {
		t.Error("COMPOSE_ANSI=always not honoured")
	}
}
