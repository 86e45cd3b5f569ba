package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Interval is the redraw period: events only change the board, the frame
// is drawn on the next tick, so a burst of events costs one redraw.
const Interval = 100 * time.Millisecond

// Terminal escape sequences used by the view.
const (
	hideCursor = "\x1b[?25l"
	showCursor = "\x1b[?25h"
	clearLine  = "\x1b[2K"
	clearBelow = "\x1b[J"
)

// TTY draws a board in place on a terminal.
type TTY struct {
	out   io.Writer
	size  func() (width, height int, err error)
	color bool
	now   func() time.Time

	mu       sync.Mutex
	board    Board
	prev     []string // rows on screen, as written
	prevW    int
	hidden   bool
	dead     bool // the output stopped being a terminal: no more live frames
	stopped  bool
	stop     chan struct{}
	stopOnce sync.Once // Stop may race: the command's return and a second Ctrl-C
	ticking  chan struct{}
}

// NewTTY returns a view writing to out. size reports the terminal's
// columns and rows; it is called for every frame so that a resize re-lays
// the view out, and an error (the output is no longer a terminal) ends the
// live frames: the final frame is then written once, without escapes.
func NewTTY(out io.Writer, size func() (int, int, error), color bool, action string) *TTY {
	return &TTY{out: out, size: size, color: color, now: time.Now, board: Board{Action: action}}
}

// Start draws a frame every Interval until Stop.
func (t *TTY) Start() {
	t.stop, t.ticking = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(t.ticking)
		tk := time.NewTicker(Interval)
		defer tk.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tk.C:
				t.mu.Lock()
				t.draw()
				t.mu.Unlock()
			}
		}
	}()
}

// Update changes the board under the view's lock; the change shows on the
// next frame.
func (t *TTY) Update(fn func(b *Board, now time.Time)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.board.Action == "" {
		defer func() { t.board.Action = inferAction(&t.board) }()
	}
	fn(&t.board, t.now())
}

// Stop draws the final frame, leaves it on screen with the cursor shown,
// and ends the view. It is idempotent.
func (t *TTY) Stop() {
	if t.stop != nil {
		t.stopOnce.Do(func() { close(t.stop) })
		<-t.ticking
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.stopped = true
	t.board.Interrupt(t.now())
	if t.dead {
		t.plainFrame()
		return
	}
	t.draw()
	if t.dead {
		t.plainFrame()
		return
	}
	t.restore()
}

// Restore shows the cursor again; for an exit that cannot wait for Stop.
func (t *TTY) Restore() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.restore()
}

func (t *TTY) restore() {
	if t.hidden {
		io.WriteString(t.out, showCursor)
		t.hidden = false
	}
}

// plainFrame writes the final frame as plain lines, for an output that is
// not a terminal any more.
func (t *TTY) plainFrame() {
	if len(t.board.objects) == 0 {
		return
	}
	var b strings.Builder
	for _, r := range Frame(&t.board, 120, 0, t.now()) {
		b.WriteString(strings.TrimRight(r.Text, " "))
		b.WriteByte('\n')
	}
	io.WriteString(t.out, b.String())
}

// draw writes the frame, rewriting only the rows that changed. On a width
// change the whole frame is redrawn; on a narrower terminal the previous
// rows may have been re-wrapped, so the cursor goes up over as many screen
// rows as they now take.
func (t *TTY) draw() {
	if t.dead || len(t.board.objects) == 0 {
		return
	}
	w, h, err := t.size()
	if err != nil {
		t.dead = true
		return
	}
	if t.stopped {
		h = 0 // the final frame is written whole, whatever scrolls away
	}
	rows := Frame(&t.board, w, h, t.now())
	var b strings.Builder
	if !t.hidden {
		b.WriteString(hideCursor)
		t.hidden = true
	}
	full := t.prevW != 0 && w != t.prevW
	up := len(t.prev)
	if full && w < t.prevW {
		up = 0
		for _, p := range t.prev {
			up += max(1, (utf8.RuneCountInString(stripANSI(p))+w-1)/w)
		}
	}
	if up > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dA", up)
	}
	if full {
		b.WriteString(clearBelow)
	}
	skip := 0
	next := make([]string, len(rows))
	for i, r := range rows {
		s := t.paint(r)
		next[i] = s
		if !full && i < len(t.prev) && t.prev[i] == s {
			skip++
			continue
		}
		if skip > 0 {
			fmt.Fprintf(&b, "\x1b[%dB", skip)
			skip = 0
		}
		b.WriteString("\r" + clearLine + s + "\n")
	}
	if skip > 0 {
		fmt.Fprintf(&b, "\x1b[%dB", skip)
	}
	if len(rows) < len(t.prev) && !full {
		b.WriteString(clearBelow)
	}
	t.prev, t.prevW = next, w
	if _, err := io.WriteString(t.out, b.String()); err != nil {
		t.dead = true
	}
}

// paint colours a row: green when done, yellow when warned, red when
// failed, blue while working.
func (t *TTY) paint(r Row) string {
	if !t.color || r.Summary {
		return r.Text
	}
	switch r.State {
	case Done:
		return "\x1b[32m" + r.Text + "\x1b[0m"
	case Warned, Stopped:
		return "\x1b[33m" + r.Text + "\x1b[0m"
	case Failed:
		return "\x1b[31m" + r.Text + "\x1b[0m"
	}
	return "\x1b[34m" + r.Text + "\x1b[0m"
}

// stripANSI removes colour sequences, to count a row's columns.
func stripANSI(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '\x1b':
			in = true
		case in && r == 'm':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// actionWords maps the first status seen to the summary's verb when the
// caller named none.
var actionWords = map[string]string{
	"Pulling": "Pulling", "Pushing": "Pushing", "Building": "Building",
}

func inferAction(b *Board) string {
	if len(b.objects) == 0 {
		return ""
	}
	if a, ok := actionWords[b.objects[0].Status]; ok {
		return a
	}
	return "Running"
}
