package render

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Marks at the start of each line. Only working lines spin.
const (
	markDone    = "✔"
	markWarned  = "!"
	markFailed  = "✘"
	markStopped = "-"
)

// Spinner is the frames of a working line's mark, one per 100 ms.
var Spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Row is one laid-out line: its text, exactly as wide as the frame, and
// its state (for colour).
type Row struct {
	Text    string
	State   State
	Summary bool
}

// Column limits.
const (
	minName   = 12 // a name column is never cut below this
	minDetail = 36 // detail space kept when names are cut (a bar and counts)
	barWidth  = 22 // widest progress bar, brackets included
	bytesW    = 15 // "999.9MB/999.9MB"
	minBar    = 8
	childPad  = 2 // child lines are indented by this under their object
)

// Frame lays the board out for a terminal of width columns and height rows
// (0: unbounded) at time now. Every row is width-1 columns wide: writing the
// last column makes some terminals wrap, which would break the in-place
// redraw. Names longer than their column are cut in the middle; nothing
// wraps. When the frame would not fit the height, child lines are left out.
func Frame(b *Board, width, height int, now time.Time) []Row {
	if width < 20 {
		width = 20
	}
	w := width - 1
	done, total := b.Counts()
	rows := []Row{{Text: fit(fmt.Sprintf("[+] %s %d/%d", b.Action, done, total), w), Summary: true, State: summaryState(b, done, total)}}

	objs := b.Objects()
	showChildren := true
	if height > 0 {
		n := 1 + len(objs)
		for _, o := range objs {
			if expanded(o) {
				n += len(o.Children)
			}
		}
		showChildren = n <= height-1
	}

	// Column widths over the visible lines.
	var kindW, nameW, statusW, elapsedW, detailMax int
	for _, o := range objs {
		kindW = max(kindW, utf8.RuneCountInString(o.Kind))
		nameW = max(nameW, utf8.RuneCountInString(o.Name))
		statusW = max(statusW, utf8.RuneCountInString(o.Status))
		elapsedW = max(elapsedW, len(elapsed(&o.Line, now)))
		detailMax = max(detailMax, detailLen(&o.Line))
		if showChildren && expanded(o) {
			for _, c := range o.Children {
				nameW = max(nameW, utf8.RuneCountInString(c.Name)+childPad-kindW-1)
				statusW = max(statusW, utf8.RuneCountInString(c.Status))
				elapsedW = max(elapsedW, len(elapsed(c, now)))
				detailMax = max(detailMax, detailLen(c))
			}
		}
	}
	// " ✔ " kind " " name "  " status "  " detail " " elapsed
	fixed := 3 + kindW + 1 + 2 + statusW + 2 + 1 + elapsedW
	// Names give way to the detail down to half of the space they share.
	if room := max(w-fixed-min(detailMax, minDetail), (w-fixed)/2, minName); nameW > room {
		nameW = room
	}
	detailW := max(w-fixed-nameW, 0)

	hidden := 0
	if height > 0 && 1+len(objs) > height-1 {
		// The summary, the objects, one row for "… N more": height-1 rows.
		objs, hidden = fitHeight(objs, height-3)
	}
	for _, o := range objs {
		rows = append(rows, Row{State: o.State, Text: line(w, mark(&o.Line, now), pad(o.Kind, kindW)+" "+pad(cutMiddle(o.Name, nameW), nameW),
			pad(o.Status, statusW), detail(&o.Line, detailW), elapsed(&o.Line, now), elapsedW)})
		if !showChildren || !expanded(o) {
			continue // collapsed
		}
		for _, c := range o.Children {
			nw := kindW + 1 + nameW - childPad
			rows = append(rows, Row{State: c.State, Text: line(w, strings.Repeat(" ", childPad)+mark(c, now), pad(cutMiddle(c.Name, nw), nw),
				pad(c.Status, statusW), detail(c, detailW), elapsed(c, now), elapsedW)})
		}
	}
	if hidden > 0 {
		rows = append(rows, Row{State: Done, Text: fit(fmt.Sprintf(" … %d more", hidden), w)})
	}
	return rows
}

// fitHeight keeps at most n objects for a terminal too short for all: the
// done ones give way first, oldest first, so that what still moves stays
// in view; order is kept. It returns the objects kept and how many were
// left out.
func fitHeight(objs []*Object, n int) ([]*Object, int) {
	n = max(n, 0)
	drop := len(objs) - n
	if drop <= 0 {
		return objs, 0
	}
	out := make([]*Object, 0, n)
	hidden := 0
	for _, o := range objs {
		if hidden < drop && o.State == Done {
			hidden++
			continue
		}
		out = append(out, o)
	}
	if len(out) > n { // more working than rows: the newest stay
		hidden += len(out) - n
		out = out[len(out)-n:]
	}
	return out, hidden
}

// expanded says whether an object's children show: while it works, and
// after it failed (the step that failed stays in view); a done object is
// collapsed to its own line.
func expanded(o *Object) bool {
	return o.State == Working || o.State == Failed || o.State == Stopped
}

// summaryState colours the summary: failed when an object failed, done when
// all are.
func summaryState(b *Board, done, total int) State {
	for _, o := range b.Objects() {
		if o.State == Failed {
			return Failed
		}
	}
	if done == total {
		return Done
	}
	return Working
}

// line joins the columns and right-aligns elapsed in a row of width w.
func line(w int, mark, name, status, detail, elapsed string, elapsedW int) string {
	left := " " + mark + " " + name + "  " + status + "  " + detail
	right := " " + strings.Repeat(" ", elapsedW-len(elapsed)) + elapsed
	left = fit(strings.TrimRight(left, " "), w-utf8.RuneCountInString(right))
	return left + right
}

// fit pads or cuts s to exactly n columns.
func fit(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if l := utf8.RuneCountInString(s); l <= n {
		return s + strings.Repeat(" ", n-l)
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func pad(s string, n int) string {
	if l := utf8.RuneCountInString(s); l < n {
		return s + strings.Repeat(" ", n-l)
	}
	return s
}

// cutMiddle shortens s to n columns by replacing its middle with "…", so
// that both the project prefix and the replica number stay readable.
func cutMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	if n == 1 {
		return "…"
	}
	keep := n - 1
	head := (keep + 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(keep-head):])
}

func mark(l *Line, now time.Time) string {
	switch l.State {
	case Done:
		return markDone
	case Warned:
		return markWarned
	case Failed:
		return markFailed
	case Stopped:
		return markStopped
	}
	return Spinner[int(now.Sub(l.Start)/(100*time.Millisecond))%len(Spinner)]
}

func elapsed(l *Line, now time.Time) string {
	end := l.End
	if end.IsZero() {
		end = now
	}
	return fmt.Sprintf("%.1fs", end.Sub(l.Start).Seconds())
}

// showsBytes says whether a line shows a bar rather than its detail.
func showsBytes(l *Line) bool { return l.Total > 0 && l.State == Working }

// detailLen is the width a line's detail would like.
func detailLen(l *Line) int {
	if showsBytes(l) {
		return barWidth + 1 + bytesW
	}
	if l.State == Failed {
		return 0
	}
	return utf8.RuneCountInString(l.Detail)
}

// detail renders the detail column in at most n columns: a bar and byte
// counts for a transfer, else the detail text (an error's text is printed
// once, after the view, so a failed line shows none).
func detail(l *Line, n int) string {
	if showsBytes(l) {
		// The bar has a fixed width and the counts a right-aligned column,
		// so that the bars of all lines line up.
		b := fmt.Sprintf("%*s", bytesW, bytesOf(l))
		if bw := min(barWidth, n-bytesW-1); bw >= minBar {
			return Bar(l.Current, l.Total, bw) + " " + b
		}
		if b = bytesOf(l); len(b) > n {
			b = FormatBytes(l.Current)
		}
		return fit(b, n)
	}
	if l.State == Failed {
		return ""
	}
	return fit(l.Detail, n)
}

func bytesOf(l *Line) string {
	return FormatBytes(l.Current) + "/" + FormatBytes(l.Total)
}

// Bar draws "[=====>      ]" in w columns, brackets included.
func Bar(current, total int64, w int) string {
	inner := w - 2
	if inner < 1 || total <= 0 {
		return ""
	}
	n := int(int64(inner) * min(max(current, 0), total) / total)
	switch {
	case n >= inner:
		return "[" + strings.Repeat("=", inner) + "]"
	case n == 0:
		return "[>" + strings.Repeat(" ", inner-1) + "]"
	}
	return "[" + strings.Repeat("=", n-1) + ">" + strings.Repeat(" ", inner-n) + "]"
}

// FormatBytes renders bytes in decimal units, one decimal, as the docker
// CLI's progress does ("12.3MB").
func FormatBytes(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.1f%s", f, units[i])
}
