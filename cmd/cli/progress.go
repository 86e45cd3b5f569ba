package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/containerd/console"

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
// event; it changes only when a field changes meaning or disappears.
const progressSchemaVersion = 1

// progressUI renders executor events on stderr.
type progressUI interface {
	event(convergence.Event)
	// done stops live rendering and leaves the final state on screen.
	done()
}

// newProgress picks the renderer: a live view on a terminal, plain lines
// otherwise.
func newProgress(deps *Deps, mode string, color bool) progressUI {
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
		return &jsonProgress{enc: json.NewEncoder(deps.Stderr)}
	case progressTTY:
		if f, ok := deps.Stderr.(*os.File); ok {
			return newTTYProgress(f, color)
		}
	}
	return &plainProgressUI{w: deps.Stderr}
}

type quietProgress struct{}

func (quietProgress) event(convergence.Event) {}
func (quietProgress) done()                   {}

// plainProgressUI prints one line per state change, as Docker Compose's plain
// progress does: " Container p-web-1  Started".
type plainProgressUI struct{ w io.Writer }

func (p *plainProgressUI) event(e convergence.Event) {
	line := fmt.Sprintf(" %s %s  %s", e.Object, e.Name, e.Status)
	if e.Detail != "" && e.Status != "Error" { // the error itself is printed once, at the end
		line += " (" + e.Detail + ")"
	}
	fmt.Fprintln(p.w, line)
}

func (p *plainProgressUI) done() {}

// plainProgress is the plain renderer as an event callback.
func plainProgress(w io.Writer) func(convergence.Event) {
	return (&plainProgressUI{w: w}).event
}

// progressEvent is one line of --progress json.
type progressEvent struct {
	Version int    `json:"version"`
	Time    string `json:"time"`
	Object  string `json:"object"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Detail  string `json:"detail,omitempty"`
}

type jsonProgress struct{ enc *json.Encoder }

func (p *jsonProgress) event(e convergence.Event) {
	p.enc.Encode(progressEvent{
		Version: progressSchemaVersion, Time: time.Now().UTC().Format(time.RFC3339Nano),
		Object: e.Object, Name: e.Name, Status: e.Status, Detail: e.Detail,
	})
}

func (p *jsonProgress) done() {}

// ttyProgress is the live view: one line per object with its state and the
// time since its first event, redrawn in place.
type ttyProgress struct {
	mu      sync.Mutex
	out     io.Writer
	width   int
	color   bool
	lines   []*ttyLine
	byKey   map[string]*ttyLine
	drawn   int
	stop    chan struct{}
	stopped chan struct{}
}

type ttyLine struct {
	object, name, status, detail string
	start, end                   time.Time
	failed                       bool
}

func newTTYProgress(f *os.File, color bool) *ttyProgress {
	p := &ttyProgress{out: f, width: 80, color: color, byKey: map[string]*ttyLine{},
		stop: make(chan struct{}), stopped: make(chan struct{})}
	if c, err := console.ConsoleFromFile(f); err == nil {
		if size, err := c.Size(); err == nil && size.Width > 20 {
			p.width = int(size.Width)
		}
	}
	go p.tick()
	return p
}

// terminalStates end an object's clock.
var terminalStates = map[string]bool{
	"Created": true, "Started": true, "Recreated": true, "Stopped": true, "Removed": true,
	"Renamed": true, "Healthy": true, "Exited": true, "Error": true, "Warning": true,
	"Pulled": true, "Pushed": true, "Skipped": true,
}

func (p *ttyProgress) event(e convergence.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := e.Object + "/" + e.Name
	l, ok := p.byKey[key]
	if !ok {
		l = &ttyLine{object: e.Object, name: e.Name, start: time.Now()}
		p.byKey[key] = l
		p.lines = append(p.lines, l)
	}
	l.status, l.detail, l.failed = e.Status, e.Detail, e.Status == "Error"
	l.end = time.Time{}
	if terminalStates[e.Status] {
		l.end = time.Now()
	}
	p.draw()
}

func (p *ttyProgress) tick() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	defer close(p.stopped)
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

func (p *ttyProgress) done() {
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
}

// draw moves the cursor back over the previous frame and rewrites it.
func (p *ttyProgress) draw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, l := range p.lines {
		b.WriteString("\x1b[2K")
		b.WriteString(p.render(l))
		b.WriteByte('\n')
	}
	p.drawn = len(p.lines)
	io.WriteString(p.out, b.String())
}

func (p *ttyProgress) render(l *ttyLine) string {
	end := l.end
	if end.IsZero() {
		end = time.Now()
	}
	mark := "⠿"
	if !l.end.IsZero() {
		mark = "✔"
	}
	if l.failed {
		mark = "✘"
	}
	elapsed := fmt.Sprintf("%.1fs", end.Sub(l.start).Seconds())
	status := l.status
	if l.detail != "" && !l.failed {
		status += " (" + l.detail + ")"
	}
	left := fmt.Sprintf(" %s %s %s  %s", mark, l.object, l.name, status)
	pad := p.width - len([]rune(left)) - len(elapsed) - 1
	if pad < 1 {
		left = truncate(left, p.width-len(elapsed)-2)
		pad = 1
	}
	line := left + strings.Repeat(" ", pad) + elapsed
	if !p.color {
		return line
	}
	switch {
	case l.failed:
		return "\x1b[31m" + line + "\x1b[0m"
	case !l.end.IsZero():
		return "\x1b[32m" + line + "\x1b[0m"
	}
	return "\x1b[34m" + line + "\x1b[0m"
}

// progress returns the event sink chosen by --progress/COMPOSE_PROGRESS and
// --ansi/COMPOSE_ANSI/NO_COLOR, and the function that ends it.
func (g *globalOptions) progress(deps *Deps) (func(convergence.Event), func()) {
	ui := newProgress(deps, g.progressMode(deps), g.color(deps))
	return ui.event, ui.done
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
