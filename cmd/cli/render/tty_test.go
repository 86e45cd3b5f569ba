package render

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// testTTY is a TTY on a buffer with a settable size and clock, drawn by
// hand (no ticker).
func testTTY(width int) (*TTY, *bytes.Buffer, *int, *time.Time) {
	var buf bytes.Buffer
	w := width
	now := at(0)
	t := NewTTY(&buf, func() (int, int, error) {
		if w == 0 {
			return 0, 0, errors.New("not a terminal")
		}
		return w, 40, nil
	}, false, "Running")
	t.now = func() time.Time { return now }
	return t, &buf, &w, &now
}

func (t *TTY) frame() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.draw()
}

func TestTTYRedrawsOnlyChangedRows(t *testing.T) {
	v, buf, _, now := testTTY(60)
	v.Update(func(b *Board, n time.Time) {
		b.Set("Network", "p_default", "Creating", "", n)
		b.Set("Container", "p-web-1", "Creating", "", n)
	})
	v.frame()
	first := buf.String()
	if !strings.HasPrefix(first, hideCursor) || strings.Count(first, "\n") != 3 {
		t.Fatalf("first frame: %q", first)
	}
	// The spinner and clock of working rows change every tick; with both
	// rows done, only the changed row is rewritten.
	v.Update(func(b *Board, n time.Time) {
		b.Set("Network", "p_default", "Created", "", n)
		b.Set("Container", "p-web-1", "Created", "", n)
	})
	v.frame()
	buf.Reset()
	*now = now.Add(time.Second)
	v.Update(func(b *Board, n time.Time) { b.Set("Container", "p-web-1", "Started", "", n) })
	v.frame()
	got := buf.String()
	// Up over the 3 rows, skip summary and network (unchanged), rewrite the
	// container row.
	want := "\r\x1b[3A\x1b[2B\r" + clearLine
	if !strings.HasPrefix(got, want) || strings.Count(got, clearLine) != 1 || !strings.Contains(got, "p-web-1    Started") {
		t.Errorf("redraw %q, want one rewritten row after %q", got, want)
	}
	buf.Reset()
	v.frame()
	if got := buf.String(); got != "\r\x1b[3A\x1b[3B" {
		t.Errorf("an unchanged frame writes %q", got)
	}
}

func TestTTYResizeRelaysOut(t *testing.T) {
	v, buf, w, _ := testTTY(100)
	v.Update(func(b *Board, n time.Time) { b.Set("Container", "p-web-1", "Started", "", n) })
	v.frame()
	buf.Reset()
	*w = 50
	v.frame()
	got := buf.String()
	// Each 99-column row now takes 2 rows of 50 columns.
	if !strings.HasPrefix(got, "\r\x1b[4A"+clearBelow) {
		t.Errorf("resize redraw %q", got)
	}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		l = l[strings.LastIndex(l, clearLine)+len(clearLine):]
		if n := len([]rune(l)); n != 49 {
			t.Errorf("row of %d columns after resize to 50: %q", n, l)
		}
	}
}

func TestTTYStopLeavesFinalFrameAndCursor(t *testing.T) {
	v, buf, _, _ := testTTY(60)
	v.Start()
	v.Update(func(b *Board, n time.Time) { b.Set("Container", "p-web-1", "Starting", "", n) })
	v.Update(func(b *Board, n time.Time) { b.Set("Container", "p-web-1", "Started", "", n) })
	v.Update(func(b *Board, n time.Time) { b.Set("Container", "p-db-1", "Waiting", "for healthy", n) })
	v.Stop() // as after Ctrl-C: db is still waiting
	v.Stop()
	got := buf.String()
	if !strings.HasSuffix(got, showCursor) || strings.Count(got, showCursor) != 1 {
		t.Errorf("cursor not shown once at the end: %q", got)
	}
	final := got[strings.LastIndex(got, "[+]"):]
	if !strings.Contains(final, "[+] Running 1/2") || !strings.Contains(final, "✔ Container p-web-1  Started") ||
		!strings.Contains(final, " - Container p-db-1   Waiting  for healthy") {
		t.Errorf("final frame: %q", final)
	}
	if strings.ContainsAny(final, strings.Join(Spinner, "")) {
		t.Errorf("spinner left in the final frame: %q", final)
	}
}

func TestTTYOutputNoLongerATerminal(t *testing.T) {
	v, buf, w, _ := testTTY(60)
	v.Update(func(b *Board, n time.Time) { b.Set("Container", "p-web-1", "Starting", "", n) })
	v.frame()
	*w = 0 // stderr is not a terminal any more
	v.Update(func(b *Board, n time.Time) { b.Set("Container", "p-web-1", "Started", "", n) })
	buf.Reset()
	v.frame()
	v.Stop()
	got := buf.String()
	if strings.Contains(got, "\x1b") {
		t.Errorf("escapes written after the output stopped being a terminal: %q", got)
	}
	if !strings.Contains(got, "[+] Running 1/1\n ✔ Container p-web-1  Started") {
		t.Errorf("plain final frame missing: %q", got)
	}
}

// TestTTYConcurrentUse runs events, ticks and two racing Stops (the
// command's return and a second Ctrl-C) together; go test -race checks it.
func TestTTYConcurrentUse(t *testing.T) {
	v, _, _, _ := testTTY(80)
	v.Start()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			name := fmt.Sprintf("p-web-%d", i%7)
			v.Update(func(b *Board, n time.Time) { b.Set("Container", name, "Starting", "", n) })
			if i == 100 {
				time.Sleep(2 * Interval)
			}
		}
	}()
	go v.Stop()
	<-done
	v.Stop()
}
