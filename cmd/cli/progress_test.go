package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
)

func TestJSONProgressSchema(t *testing.T) {
	var buf bytes.Buffer
	deps := &Deps{Stderr: &buf}
	ui := newProgress(deps, progressJSON, false, viewSpec{})
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

func TestJSONPullProgress(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	p := &jsonProgress{enc: json.NewEncoder(&buf), now: func() time.Time { return clock }}
	ref := "127.0.0.1:5000/big:1"
	p.pull(convergence.PullEvent{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Pulling fs layer"})
	p.pull(convergence.PullEvent{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Downloading", Current: 1000, Total: 4000})
	p.pull(convergence.PullEvent{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Downloading", Current: 2000, Total: 4000}) // throttled
	clock = clock.Add(150 * time.Millisecond)
	p.pull(convergence.PullEvent{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Downloading", Current: 3000, Total: 4000})
	var evs []progressEvent
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e progressEvent
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	var layer, image []progressEvent
	for _, e := range evs {
		switch e.Object {
		case "Layer":
			layer = append(layer, e)
			if e.Parent != ref || e.Name != "aaaaaaaaaaaa" || e.Version != 1 {
				t.Errorf("layer event: %+v", e)
			}
		case "Image":
			image = append(image, e)
		}
	}
	if len(layer) != 3 || layer[2].Current != 3000 || layer[2].Total != 4000 {
		t.Errorf("layer events (the second Downloading is throttled): %+v", layer)
	}
	last := image[len(image)-1]
	if last.Status != "Downloading" || last.Current != 3000 || last.Total != 4000 || last.Name != ref {
		t.Errorf("image event: %+v", last)
	}
}

func TestPlainPullProgressOneLinePerState(t *testing.T) {
	var buf bytes.Buffer
	p := &plainProgressUI{w: &buf}
	ref := "r/app:1"
	for _, e := range []convergence.PullEvent{
		{Ref: ref, Status: "Pulling from r/app"},
		{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Pulling fs layer"},
		{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Downloading", Current: 1, Total: 9},
		{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Downloading", Current: 5, Total: 9},
		{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Extracting", Current: 5, Total: 9},
		{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Extracting", Current: 9, Total: 9},
		{Ref: ref, Layer: "aaaaaaaaaaaa", Status: "Pull complete"},
	} {
		p.pull(e)
	}
	if got, want := buf.String(), " Image r/app:1  Downloading\n Image r/app:1  Extracting\n"; got != want {
		t.Errorf("plain pull lines:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanView(t *testing.T) {
	up := &convergence.Plan{Actions: []convergence.Action{
		{Kind: convergence.CreateNetwork, Name: "p_default"},
		{Kind: convergence.CreateContainer, Name: "p-web-1"},
		{Kind: convergence.StartContainer, Name: "p-web-1"},
	}}
	spec := planView(up)
	if spec.action != "Running" || len(spec.expect) != 2 || spec.expect[0] != (objectKey{"Network", "p_default"}) {
		t.Errorf("up: %+v", spec)
	}
	down := &convergence.Plan{Actions: []convergence.Action{
		{Kind: convergence.StopContainer, Name: "p-web-1"},
		{Kind: convergence.RemoveContainer, Name: "p-web-1"},
		{Kind: convergence.RemoveNetwork, Name: "p_default"},
	}}
	if spec := planView(down); spec.action != "Removing" || len(spec.expect) != 2 {
		t.Errorf("down: %+v", spec)
	}
	stop := &convergence.Plan{Actions: []convergence.Action{{Kind: convergence.StopContainer, Name: "p-web-1"}}}
	if spec := planView(stop); spec.action != "Stopping" {
		t.Errorf("stop: %+v", spec)
	}
	restart := &convergence.Plan{Actions: []convergence.Action{
		{Kind: convergence.StopContainer, Name: "p-web-1"},
		{Kind: convergence.StartContainer, Name: "p-web-1"},
	}}
	if spec := planView(restart); spec.action != "Restarting" || len(spec.expect) != 1 {
		t.Errorf("restart: %+v", spec)
	}
	create := &convergence.Plan{Actions: []convergence.Action{{Kind: convergence.CreateContainer, Name: "p-web-1", NoStart: true}}}
	if spec := planView(create); spec.action != "Creating" {
		t.Errorf("create: %+v", spec)
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

func TestChildEventsPlainAndJSON(t *testing.T) {
	step := childEvent{Kind: "Step", ID: "[2/3] RUN make", Parent: objectKey{"Image", "shop/api:dev"}, Status: "Running"}
	var plain bytes.Buffer
	p := &plainProgressUI{w: &plain}
	p.child(step)
	p.child(step) // same status: printed once
	step.Status, step.Detail = "Done", "0.4s"
	p.child(step)
	// Build steps print as BUILDKIT_PROGRESS=plain does, named after the image.
	if got, want := plain.String(), "#1 [shop/api:dev 2/3] RUN make\n#1 DONE 0.4s\n"; got != want {
		t.Errorf("plain:\n%s\nwant:\n%s", got, want)
	}
	var js bytes.Buffer
	j := &jsonProgress{enc: json.NewEncoder(&js), now: time.Now}
	j.child(step)
	var e progressEvent
	if err := json.Unmarshal(js.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if e.Object != "Step" || e.Name != "[2/3] RUN make" || e.Parent != "shop/api:dev" || e.Status != "Done" || e.Version != 1 {
		t.Errorf("json: %+v", e)
	}
}
