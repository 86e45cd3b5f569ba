package render

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mycompose/mycompose/convergence"
)

var update = flag.Bool("update", false, "rewrite the golden frames in testdata/")

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// upBoard is `up -d` of a project whose web (3 replicas) waits for a
// healthy db, caught while the last replica starts.
func upBoard() *Board {
	b := &Board{Action: "Running"}
	b.Expect("Network", "shop_default")
	for _, n := range []string{"shop-db-1", "shop-web-1", "shop-web-2", "shop-web-3"} {
		b.Expect("Container", n)
	}
	b.Set("Network", "shop_default", "Creating", "", at(0))
	b.Set("Network", "shop_default", "Created", "", at(120))
	b.Set("Container", "shop-db-1", "Creating", "", at(130))
	b.Set("Container", "shop-db-1", "Started", "", at(900))
	b.Set("Container", "shop-db-1", "Waiting", "for healthy", at(910))
	b.Set("Container", "shop-db-1", "Healthy", "", at(6400))
	for i, n := range []string{"shop-web-1", "shop-web-2", "shop-web-3"} {
		b.Set("Container", n, "Creating", "", at(140+10*i))
		b.Set("Container", n, "Created", "", at(700+10*i))
		b.Set("Container", n, "Starting", "", at(6410))
		if i < 2 {
			b.Set("Container", n, "Started", "", at(7000+100*i))
		}
	}
	return b
}

// pullBoard is a pull of two images: one done, one with a layer
// downloading, one extracting and one complete.
func pullBoard() *Board {
	b := &Board{Action: "Pulling"}
	var tr Transfers
	apply := func(ms int, e convergence.PullEvent) {
		p, child := tr.Apply(e)
		if child == nil {
			return
		}
		b.Child("Image", e.Ref, e.Layer, *child, at(ms))
		if p.Phase != "" {
			b.Set("Image", e.Ref, p.Phase, "", at(ms))
		}
		b.SetBytes("Image", e.Ref, p.Current, p.Total, at(ms))
	}
	small := "127.0.0.1:40123/e2e-liveview/busybox:latest"
	big := "127.0.0.1:40123/e2e-liveview/a-rather-long-repository-name-for-a-big-image:2026-12-03"
	b.Set("Image", small, "Pulling", "", at(0))
	b.Set("Image", big, "Pulling", "", at(0))
	apply(100, convergence.PullEvent{Ref: small, Layer: "0123456789ab", Status: "Downloading", Current: 500_000, Total: 2_100_000})
	apply(400, convergence.PullEvent{Ref: small, Layer: "0123456789ab", Status: "Pull complete"})
	b.Set("Image", small, "Pulled", "2.1MB in 400ms", at(450))
	apply(100, convergence.PullEvent{Ref: big, Layer: "aaaaaaaaaaaa", Status: "Downloading", Current: 29_100_000, Total: 29_100_000})
	apply(900, convergence.PullEvent{Ref: big, Layer: "aaaaaaaaaaaa", Status: "Pull complete"})
	apply(200, convergence.PullEvent{Ref: big, Layer: "bbbbbbbbbbbb", Status: "Downloading", Current: 12_300_000, Total: 29_100_000})
	apply(950, convergence.PullEvent{Ref: big, Layer: "cccccccccccc", Status: "Downloading", Current: 3_000_000, Total: 3_000_000})
	apply(1000, convergence.PullEvent{Ref: big, Layer: "cccccccccccc", Status: "Extracting", Current: 1_000_000, Total: 3_000_000})
	return b
}

func frameText(rows []Row) string {
	var s strings.Builder
	for _, r := range rows {
		s.WriteString(r.Text + "|\n") // "|" marks the row's end: trailing spaces count
	}
	return s.String()
}

func TestFrameGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		board func() *Board
		now   int
	}{{"up", upBoard, 7350}, {"pull", pullBoard, 1200}} {
		for _, width := range []int{50, 80, 140} {
			name := fmt.Sprintf("%s-%d.golden", tc.name, width)
			t.Run(name, func(t *testing.T) {
				got := frameText(Frame(tc.board(), width, 0, at(tc.now)))
				path := filepath.Join("testdata", name)
				if *update {
					os.MkdirAll("testdata", 0o755)
					os.WriteFile(path, []byte(got), 0o644)
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("frame at width %d:\n%s\nwant:\n%s", width, got, want)
				}
			})
		}
	}
}

// TestFrameLayout checks the properties the golden frames show, at many
// widths: exact row width, aligned state column, summary counts, middle
// cuts, and spinners only on working lines.
func TestFrameLayout(t *testing.T) {
	for width := 30; width <= 160; width += 7 {
		rows := Frame(upBoard(), width, 0, at(7350))
		if rows[0].Text[:len("[+] Running 4/5")] != "[+] Running 4/5" {
			t.Errorf("width %d: summary %q, want Running 4/5", width, rows[0].Text)
		}
		statusCol := -1
		for _, r := range rows {
			if n := utf8.RuneCountInString(r.Text); n != width-1 {
				t.Errorf("width %d: row is %d columns, want %d: %q", width, n, width-1, r.Text)
			}
		}
		for _, r := range rows[1:] {
			col := -1
			for _, word := range []string{"Created", "Healthy", "Started", "Starting"} {
				if i := strings.Index(r.Text, " "+word); i >= 0 {
					col = utf8.RuneCountInString(r.Text[:i])
				}
			}
			if statusCol == -1 {
				statusCol = col
			}
			if col != statusCol {
				t.Errorf("width %d: state column at %d, want %d: %q", width, col, statusCol, r.Text)
			}
			spins := strings.ContainsAny(r.Text, strings.Join(Spinner, ""))
			if spins != (r.State == Working) {
				t.Errorf("width %d: spinner %v on a line in state %v: %q", width, spins, r.State, r.Text)
			}
		}
	}
	rows := Frame(pullBoard(), 60, 0, at(1200))
	for _, r := range rows {
		if strings.Contains(r.Text, "a-rather-long") && !strings.Contains(r.Text, "…") {
			t.Errorf("long name not cut: %q", r.Text)
		}
	}
}

func TestCutMiddle(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"shop-web-1", 20, "shop-web-1"},
		{"shop-web-1", 10, "shop-web-1"},
		{"averyverylongproject-web-12", 11, "avery…eb-12"},
		{"abcdef", 2, "a…"},
		{"abcdef", 1, "…"},
		{"abcdef", 0, ""},
	} {
		if got := cutMiddle(tc.in, tc.n); got != tc.want {
			t.Errorf("cutMiddle(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if tc.n > 0 && utf8.RuneCountInString(cutMiddle(tc.in, tc.n)) > tc.n {
			t.Errorf("cutMiddle(%q, %d) too long", tc.in, tc.n)
		}
	}
}

func TestBar(t *testing.T) {
	for _, tc := range []struct {
		cur, total int64
		w          int
		want       string
	}{
		{0, 100, 12, "[>         ]"},
		{50, 100, 12, "[====>     ]"},
		{100, 100, 12, "[==========]"},
		{150, 100, 12, "[==========]"},
	} {
		if got := Bar(tc.cur, tc.total, tc.w); got != tc.want {
			t.Errorf("Bar(%d, %d, %d) = %q, want %q", tc.cur, tc.total, tc.w, got, tc.want)
		}
	}
}

func TestCounts(t *testing.T) {
	b := upBoard()
	if d, n := b.Counts(); d != 4 || n != 5 {
		t.Errorf("counts %d/%d, want 4/5", d, n)
	}
	b.Expect("Volume", "shop_data") // planned, no event yet
	if d, n := b.Counts(); d != 4 || n != 6 {
		t.Errorf("counts %d/%d, want 4/6", d, n)
	}
	b.Set("Container", "shop-web-3", "Error", "boom", at(8000))
	if d, _ := b.Counts(); d != 5 {
		t.Errorf("a failed object is done: %d", d)
	}
}

func TestChildrenCollapseWhenDone(t *testing.T) {
	b := pullBoard()
	rows := Frame(b, 100, 0, at(1200))
	if len(rows) != 1+2+3 { // summary, two images, the big one's three layers
		t.Fatalf("rows:\n%s", frameText(rows))
	}
	b.Set("Image", "127.0.0.1:40123/e2e-liveview/a-rather-long-repository-name-for-a-big-image:2026-12-03", "Pulled", "", at(3000))
	if rows := Frame(b, 100, 0, at(3000)); len(rows) != 3 {
		t.Errorf("layers not collapsed:\n%s", frameText(rows))
	}
	// Too short a terminal: children are left out, objects stay.
	if rows := Frame(pullBoard(), 100, 5, at(1200)); len(rows) != 3 {
		t.Errorf("height 5:\n%s", frameText(rows))
	}
}

func TestTransfersBytesOnlyGrow(t *testing.T) {
	var tr Transfers
	ref := "r/app:1"
	var last int64
	steps := []convergence.PullEvent{
		{Ref: ref, Layer: "a", Status: "Pulling fs layer"},
		{Ref: ref, Layer: "b", Status: "Pulling fs layer"},
		{Ref: ref, Layer: "a", Status: "Downloading", Current: 10, Total: 100},
		{Ref: ref, Layer: "b", Status: "Downloading", Current: 5, Total: 50},
		{Ref: ref, Layer: "a", Status: "Download complete"},
		{Ref: ref, Layer: "a", Status: "Extracting", Current: 3, Total: 100},
		{Ref: ref, Layer: "b", Status: "Downloading", Current: 50, Total: 50},
		{Ref: ref, Layer: "a", Status: "Pull complete"},
		{Ref: ref, Layer: "b", Status: "Extracting", Current: 20, Total: 50},
		{Ref: ref, Layer: "b", Status: "Pull complete"},
	}
	var phases []string
	for _, e := range steps {
		p, _ := tr.Apply(e)
		if p.Current < last {
			t.Errorf("%+v: bytes went back from %d to %d", e, last, p.Current)
		}
		last = p.Current
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}
	if last != 150 {
		t.Errorf("bytes at the end %d, want 150", last)
	}
	if got := strings.Join(phases, ","); got != ",Downloading,Extracting" {
		t.Errorf("phases %s", got)
	}
}

// TestBuildStepsAsChildren is how build progress plugs in: steps are
// children of the image line, collapsed once it is built, kept in view
// (the failing one marked) when the build fails.
func TestBuildStepsAsChildren(t *testing.T) {
	build := func() *Board {
		b := &Board{Action: "Building"}
		b.Set("Image", "shop/api:dev", "Building", "", at(0))
		b.Child("Image", "shop/api:dev", "[1/3] FROM base", Line{Status: "Done", State: Done}, at(100))
		b.Child("Image", "shop/api:dev", "[2/3] RUN make", Line{Status: "Running", State: Working}, at(200))
		return b
	}
	b := build()
	rows := Frame(b, 80, 0, at(1000))
	if len(rows) != 4 || !strings.HasPrefix(rows[3].Text, "   "+Spinner[8]+" [2/3] RUN make") {
		t.Fatalf("steps while building:\n%s", frameText(rows))
	}
	b.Set("Image", "shop/api:dev", "Built", "1.2s", at(1200))
	rows = Frame(b, 80, 0, at(1300))
	if len(rows) != 2 || strings.ContainsAny(frameText(rows), strings.Join(Spinner, "")) {
		t.Errorf("a built image is one line, no spinner:\n%s", frameText(rows))
	}
	b = build()
	b.Child("Image", "shop/api:dev", "[2/3] RUN make", Line{Status: "Error", State: Failed}, at(900))
	b.Set("Image", "shop/api:dev", "Error", "", at(900))
	rows = Frame(b, 80, 0, at(1000))
	if len(rows) != 4 || !strings.Contains(rows[3].Text, "✘ [2/3] RUN make") {
		t.Errorf("the failing step stays in view:\n%s", frameText(rows))
	}
}

func TestStateOf(t *testing.T) {
	for status, want := range map[string]State{
		"Built": Done, "Started": Done, "Healthy": Done, "Pulled": Done, "Removed": Done,
		"Building": Working, "Waiting": Working, "Downloading": Working,
		"Warning": Warned, "Error": Failed,
	} {
		if got := StateOf(status); got != want {
			t.Errorf("StateOf(%q) = %v, want %v", status, got, want)
		}
	}
}

func TestFrameFitsShortTerminal(t *testing.T) {
	b := &Board{Action: "Running"}
	for i := 1; i <= 30; i++ {
		name := fmt.Sprintf("p-web-%d", i)
		b.Set("Container", name, "Starting", "", at(i))
		if i <= 25 {
			b.Set("Container", name, "Started", "", at(100+i))
		}
	}
	rows := Frame(b, 80, 10, at(500))
	if len(rows) != 9 {
		t.Fatalf("%d rows on a 10-row terminal, want 9:\n%s", len(rows), frameText(rows))
	}
	text := frameText(rows)
	// The 5 still starting stay in view with the 2 newest done, then a count.
	for _, want := range []string{"[+] Running 25/30", "p-web-24 ", "p-web-26 ", "p-web-30 ", " … 23 more"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	if rows := Frame(b, 80, 0, at(500)); len(rows) != 31 {
		t.Errorf("unbounded height: %d rows", len(rows))
	}
}
