package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/console"

	"github.com/mycompose/mycompose/cmd/cli/render"
	"github.com/mycompose/mycompose/convergence"
)

// Progress modes (--progress, COMPOSE_PROGRESS).
const (
	progressAuto  = "auto"
	progressTTY   = "tty"
	progressPlain = "plain"
	progressJSON  = "json"
	progressQuiet = "quiet"
)

// progressSchemaVersion is the "version" field of every --progress json
// event; it changes only when a field changes meaning or disappears (new
// optional fields keep it).
const progressSchemaVersion = 1

// progressUI renders executor events and transfer progress on stderr.
type progressUI interface {
	event(convergence.Event)
	// pull receives the engine's per-layer progress of pulls and pushes.
	pull(convergence.PullEvent)
	// child shows a line under an object: a build step under its image
	// (the layers of pulls come through pull).
	child(childEvent)
	// done stops live rendering and leaves the final state on screen.
	done()
}

// viewSpec is what a command knows before its first event: the summary's
// verb and the objects it plans to act on (for the done/total count).
type viewSpec struct {
	action string // "" lets the view infer it from the first event
	expect []objectKey
}

type objectKey struct{ kind, name string }

// childEvent is the state of one line under an object line: the live view
// shows it beneath its parent while the parent works, and still after the
// parent failed (the failing build step stays in view), and collapses it
// when the parent is done; --progress json sends it with "parent" set;
// plain mode prints one line per change of status.
type childEvent struct {
	Kind   string // "Layer", "Step"
	ID     string // unique under the parent: a layer ID, a step's vertex
	Parent objectKey
	Status string
	Detail string
	State  render.State
	// Current and Total are bytes, when known (a bar shows them).
	Current, Total int64
	// Output is one line a build step printed (Status is then the step's
	// current one): plain mode prints it as BUILDKIT_PROGRESS=plain does,
	// --progress json sends it, the live view leaves it out.
	Output string
}

// newProgress picks the renderer: a live view on a terminal, plain lines
// otherwise.
func newProgress(deps *Deps, mode string, color bool, spec viewSpec) progressUI {
	if mode == "" || mode == progressAuto {
		mode = progressPlain
		if isTerminal(deps.Stderr) {
			mode = progressTTY
		}
	}
	switch mode {
	case progressQuiet:
		return quietProgress{}
	case progressJSON:
		return &jsonProgress{enc: json.NewEncoder(deps.Stderr), now: time.Now}
	case progressTTY:
		if f, ok := deps.Stderr.(*os.File); ok {
			return newTTYProgress(f, color, spec)
		}
	}
	return &plainProgressUI{w: deps.Stderr}
}

type quietProgress struct{}

func (quietProgress) event(convergence.Event)    {}
func (quietProgress) pull(convergence.PullEvent) {}
func (quietProgress) child(childEvent)           {}
func (quietProgress) done()                      {}

// plainProgressUI prints one line per state change, as Docker Compose's plain
// progress does: " Container p-web-1  Started"; a transfer prints one line
// per image per phase (" Image r/app:1  Downloading").
type plainProgressUI struct {
	w       io.Writer
	mu      sync.Mutex
	tr      render.Transfers
	printed map[string]bool // ref + phase
	steps   plainSteps
}

func (p *plainProgressUI) event(e convergence.Event) {
	line := fmt.Sprintf(" %s %s  %s", e.Object, e.Name, e.Status)
	if e.Detail != "" && e.Status != "Error" { // the error itself is printed once, at the end
		line += " (" + e.Detail + ")"
	}
	fmt.Fprintln(p.w, line)
}

func (p *plainProgressUI) pull(e convergence.PullEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, child := p.tr.Apply(e)
	if child == nil || pr.Phase == "" || pr.Phase == "Pushing" { // Pushing: the push's own line says it
		return
	}
	if p.printed == nil {
		p.printed = map[string]bool{}
	}
	if k := e.Ref + "\x00" + pr.Phase; !p.printed[k] {
		p.printed[k] = true
		fmt.Fprintf(p.w, " Image %s  %s\n", e.Ref, pr.Phase)
	}
}

func (p *plainProgressUI) child(c childEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.Kind == "Step" {
		p.steps.print(p.w, c)
		return
	}
	if p.printed == nil {
		p.printed = map[string]bool{}
	}
	k := c.Parent.kind + "\x00" + c.Parent.name + "\x00" + c.ID + "\x00" + c.Status
	if p.printed[k] {
		return
	}
	p.printed[k] = true
	line := fmt.Sprintf(" %s %s > %s  %s", c.Parent.kind, c.Parent.name, c.ID, c.Status)
	if c.Detail != "" {
		line += " (" + c.Detail + ")"
	}
	fmt.Fprintln(p.w, line)
}

func (p *plainProgressUI) done() {}

// plainSteps numbers build steps across the builds in flight, as BuildKit
// numbers its vertexes: "#5 [app 2/3] RUN make", then "#5 <output>",
// "#5 DONE 0.3s", "#5 CACHED" or "#5 ERROR: <why>".
type plainSteps struct {
	num  map[string]int
	next int
}

func (s *plainSteps) print(w io.Writer, c childEvent) {
	if s.num == nil {
		s.num = map[string]int{}
	}
	key := c.Parent.name + "\x00" + c.ID
	n, ok := s.num[key]
	if !ok {
		s.next++
		n = s.next
		s.num[key] = n
		fmt.Fprintf(w, "#%d %s\n", n, stepTitle(c.Parent.name, c.ID))
	}
	switch {
	case c.Output != "":
		fmt.Fprintf(w, "#%d %s\n", n, c.Output)
	case c.Status == convergence.StepDone:
		fmt.Fprintln(w, strings.TrimSpace(fmt.Sprintf("#%d DONE %s", n, c.Detail)))
	case c.Status == convergence.StepCached:
		fmt.Fprintf(w, "#%d CACHED\n", n)
	case c.Status == convergence.StepError:
		fmt.Fprintf(w, "#%d ERROR: %s\n", n, c.Detail)
	}
}

// stepTitle puts the image's name into a step's bracket, as buildx bake
// does for each target: "[2/3] RUN x" -> "[app 2/3] RUN x".
func stepTitle(image, step string) string {
	if rest, ok := strings.CutPrefix(step, "["); ok {
		return "[" + image + " " + rest
	}
	return "[" + image + "] " + step
}

// plainProgress is the plain renderer as an event callback.
func plainProgress(w io.Writer) func(convergence.Event) {
	return (&plainProgressUI{w: w}).event
}

// progressEvent is one line of --progress json. Transfer progress adds
// Current and Total (bytes) to Image events, and sends Layer events whose
// Parent is the image reference.
type progressEvent struct {
	Version int    `json:"version"`
	Time    string `json:"time"`
	Object  string `json:"object"`
	Name    string `json:"name"`
	Parent  string `json:"parent,omitempty"`
	Status  string `json:"status"`
	Detail  string `json:"detail,omitempty"`
	Current int64  `json:"current,omitempty"`
	Total   int64  `json:"total,omitempty"`
	Output  string `json:"output,omitempty"`
}

// jsonInterval bounds the rate of transfer events per image and per layer:
// a status change is sent at once, byte counts at most this often.
const jsonInterval = 100 * time.Millisecond

type jsonProgress struct {
	enc  *json.Encoder
	now  func() time.Time
	mu   sync.Mutex
	tr   render.Transfers
	last map[string]jsonSent
}

type jsonSent struct {
	status string
	at     time.Time
}

func (p *jsonProgress) event(e convergence.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enc.Encode(progressEvent{
		Version: progressSchemaVersion, Time: p.now().UTC().Format(time.RFC3339Nano),
		Object: e.Object, Name: e.Name, Status: e.Status, Detail: e.Detail,
	})
}

func (p *jsonProgress) pull(e convergence.PullEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, child := p.tr.Apply(e)
	if child == nil {
		return
	}
	now := p.now()
	p.send(progressEvent{Object: "Layer", Name: e.Layer, Parent: e.Ref, Status: child.Status, Current: child.Current, Total: child.Total}, now)
	if pr.Phase != "" {
		p.send(progressEvent{Object: "Image", Name: e.Ref, Status: pr.Phase, Current: pr.Current, Total: pr.Total}, now)
	}
}

// send writes a transfer event unless one with the same status went out
// for the same object less than jsonInterval ago.
func (p *jsonProgress) send(ev progressEvent, now time.Time) {
	if p.last == nil {
		p.last = map[string]jsonSent{}
	}
	k := ev.Object + "\x00" + ev.Name
	if l, ok := p.last[k]; ok && l.status == ev.Status && now.Sub(l.at) < jsonInterval {
		return
	}
	p.last[k] = jsonSent{ev.Status, now}
	ev.Version, ev.Time = progressSchemaVersion, now.UTC().Format(time.RFC3339Nano)
	p.enc.Encode(ev)
}

func (p *jsonProgress) child(c childEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ev := progressEvent{Object: c.Kind, Name: c.ID, Parent: c.Parent.name, Status: c.Status, Detail: c.Detail, Current: c.Current, Total: c.Total, Output: c.Output}
	if c.Output != "" { // every line, never rate-limited
		now := p.now()
		ev.Version, ev.Time = progressSchemaVersion, now.UTC().Format(time.RFC3339Nano)
		p.enc.Encode(ev)
		return
	}
	p.send(ev, p.now())
}

func (p *jsonProgress) done() {}

// ttyProgress is the live view (package render) fed with events.
type ttyProgress struct {
	view *render.TTY
	tr   render.Transfers // guarded by the view's lock (used in Update)
}

// unsizedTerminal fills in a size the terminal does not know: a pty that
// nobody sized (script(1) or a CI runner without a terminal of its own)
// reports 0x0, which would cut every line to nothing. COLUMNS and LINES
// then say it, else 80x24.
func unsizedTerminal(w, h int, getenv func(string) string) (int, int) {
	fallback := func(key string, def int) int {
		if n, err := strconv.Atoi(getenv(key)); err == nil && n > 0 {
			return n
		}
		return def
	}
	if w <= 0 {
		w = fallback("COLUMNS", 80)
	}
	if h <= 0 {
		h = fallback("LINES", 24)
	}
	return w, h
}

func newTTYProgress(f *os.File, color bool, spec viewSpec) *ttyProgress {
	size := func() (int, int, error) { return 0, 0, errors.New("not a terminal") }
	if c, err := console.ConsoleFromFile(f); err == nil {
		size = func() (int, int, error) {
			ws, err := c.Size()
			if err != nil {
				return 0, 0, err
			}
			w, h := unsizedTerminal(int(ws.Width), int(ws.Height), os.Getenv)
			return w, h, nil
		}
	}
	p := &ttyProgress{view: render.NewTTY(f, size, color, spec.action)}
	p.view.Update(func(b *render.Board, _ time.Time) {
		for _, k := range spec.expect {
			b.Expect(k.kind, k.name)
		}
	})
	p.view.Start()
	liveViews.add(p.view)
	return p
}

func (p *ttyProgress) event(e convergence.Event) {
	p.view.Update(func(b *render.Board, now time.Time) {
		b.Set(string(e.Object), e.Name, string(e.Status), e.Detail, now) // string(): statuses may become a named type
	})
}

func (p *ttyProgress) pull(e convergence.PullEvent) {
	p.view.Update(func(b *render.Board, now time.Time) {
		pr, child := p.tr.Apply(e)
		if child == nil {
			return
		}
		b.Child("Image", e.Ref, e.Layer, *child, now)
		if pr.Phase != "" {
			b.Set("Image", e.Ref, pr.Phase, "", now)
		}
		b.SetBytes("Image", e.Ref, pr.Current, pr.Total, now)
	})
}

func (p *ttyProgress) child(c childEvent) {
	if c.Output != "" { // the live view shows steps, not their output
		return
	}
	p.view.Update(func(b *render.Board, now time.Time) {
		b.Child(c.Parent.kind, c.Parent.name, c.ID, render.Line{Status: c.Status, Detail: c.Detail, State: c.State, Current: c.Current, Total: c.Total}, now)
	})
}

func (p *ttyProgress) done() {
	p.view.Stop()
	liveViews.remove(p.view)
}

// liveViews are the views on screen, stopped (final frame, cursor shown)
// by an exit that does not return through the command (a second Ctrl-C).
var liveViews = &viewSet{views: map[*render.TTY]bool{}}

type viewSet struct {
	mu    sync.Mutex
	views map[*render.TTY]bool
}

func (s *viewSet) add(v *render.TTY) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.views[v] = true
}

func (s *viewSet) remove(v *render.TTY) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.views, v)
}

// stopAll leaves every live view's final frame on screen.
func (s *viewSet) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for v := range s.views {
		v.Stop()
	}
}

// progress returns the event sink chosen by --progress/COMPOSE_PROGRESS and
// --ansi/COMPOSE_ANSI/NO_COLOR, and the function that ends it.
func (g *globalOptions) progress(deps *Deps) (func(convergence.Event), func()) {
	ui := g.progressView(deps, viewSpec{})
	return ui.event, ui.done
}

// progressView is progress with the summary's verb and planned objects
// known, and transfer progress.
func (g *globalOptions) progressView(deps *Deps, spec viewSpec) progressUI {
	return newProgress(deps, g.progressMode(deps), g.color(deps), spec)
}

// pullView is the view of pulls: one image line each.
func pullView(pulls []convergence.ImagePull) viewSpec {
	spec := viewSpec{action: "Pulling"}
	for _, pl := range pulls {
		spec.expect = append(spec.expect, objectKey{"Image", pl.Ref})
	}
	return spec
}

// planView names a plan's summary verb and lists its objects.
func planView(plan *convergence.Plan) viewSpec {
	var starts, creates, stops, removes bool
	stopped, restartsOnly := map[string]bool{}, true // restart: every start follows a stop of the same container
	seen := map[objectKey]bool{}
	var spec viewSpec
	for _, a := range plan.Actions {
		kind := "Container"
		switch a.Kind {
		case convergence.CreateNetwork, convergence.RecreateNetwork, convergence.RemoveNetwork:
			kind = "Network"
		case convergence.CreateVolume, convergence.RecreateVolume, convergence.RemoveVolume:
			kind = "Volume"
		case convergence.RemoveImage: // down --rmi
			kind = "Image"
		}
		switch a.Kind {
		case convergence.CreateContainer:
			starts = starts || !a.NoStart
			creates, restartsOnly = true, false
		case convergence.RestartContainer:
			starts = true
		case convergence.StartContainer:
			starts = true
			restartsOnly = restartsOnly && stopped[a.Name]
		case convergence.RecreateContainer:
			starts, restartsOnly = true, false
		case convergence.StopContainer:
			stops, stopped[a.Name] = true, true
		case convergence.RemoveContainer, convergence.RemoveNetwork, convergence.RemoveVolume:
			removes = true
		}
		if k := (objectKey{kind, a.Name}); !seen[k] {
			seen[k] = true
			spec.expect = append(spec.expect, k)
		}
	}
	switch {
	case starts && stops && restartsOnly && !creates && !removes:
		spec.action = "Restarting"
	case starts:
		spec.action = "Running"
	case creates:
		spec.action = "Creating"
	case removes:
		spec.action = "Removing"
	case stops:
		spec.action = "Stopping"
	default:
		spec.action = "Running"
	}
	return spec
}

func (g *globalOptions) progressMode(deps *Deps) string {
	if g.Progress != "" {
		return g.Progress
	}
	return envValue(deps.Environ, "COMPOSE_PROGRESS")
}

// color decides whether output may use ANSI colours.
func (g *globalOptions) color(deps *Deps) bool {
	ansi := g.Ansi
	if ansi == "" {
		ansi = envValue(deps.Environ, "COMPOSE_ANSI")
	}
	switch ansi {
	case "never":
		return false
	case "always":
		return true
	}
	return envValue(deps.Environ, "NO_COLOR") == "" && isTerminal(deps.Stderr)
}

// validateOutputFlags rejects unknown --progress and --ansi values.
func (g *globalOptions) validateOutputFlags(deps *Deps) error {
	switch g.progressMode(deps) {
	case "", progressAuto, progressTTY, progressPlain, progressJSON, progressQuiet:
	default:
		return usageError{fmt.Errorf("invalid --progress %q: use auto, tty, plain, json or quiet", g.progressMode(deps))}
	}
	switch g.Ansi {
	case "", "auto", "never", "always":
	default:
		return usageError{fmt.Errorf("invalid --ansi %q: use never, always or auto", g.Ansi)}
	}
	return nil
}
