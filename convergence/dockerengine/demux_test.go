package dockerengine

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/docker/docker/pkg/stdcopy"
)

// recorder keeps what it is written and how many writes.
type recorder struct {
	bytes.Buffer
	writes int
}

func (r *recorder) Write(b []byte) (int, error) {
	r.writes++
	return r.Buffer.Write(b)
}

// TestDemuxMatchesStdCopy checks demux against the SDK's StdCopy on a
// stream of many small frames of both streams, and that it writes runs.
func TestDemuxMatchesStdCopy(t *testing.T) {
	var stream bytes.Buffer
	out := stdcopy.NewStdWriter(&stream, stdcopy.Stdout)
	errw := stdcopy.NewStdWriter(&stream, stdcopy.Stderr)
	for i := range 3000 {
		if i%500 == 499 {
			errw.Write([]byte("an error line\n"))
			continue
		}
		out.Write([]byte(strings.Repeat("x", i%90) + "\n"))
	}
	var wantOut, wantErr bytes.Buffer
	if _, err := stdcopy.StdCopy(&wantOut, &wantErr, bytes.NewReader(stream.Bytes())); err != nil {
		t.Fatal(err)
	}
	var gotOut, gotErr recorder
	if err := demux(&gotOut, &gotErr, bytes.NewReader(stream.Bytes())); err != nil {
		t.Fatal(err)
	}
	if gotOut.String() != wantOut.String() || gotErr.String() != wantErr.String() {
		t.Fatalf("demux differs from StdCopy: %d/%d stdout bytes, %d/%d stderr bytes",
			gotOut.Len(), wantOut.Len(), gotErr.Len(), wantErr.Len())
	}
	if gotOut.writes > 20 {
		t.Errorf("%d writes to stdout for 2994 lines, want runs", gotOut.writes)
	}
	// A cut stream is an error; the engine's own error is reported.
	if err := demux(io.Discard, io.Discard, bytes.NewReader(stream.Bytes()[:stream.Len()-3])); err != io.ErrUnexpectedEOF {
		t.Errorf("cut stream: %v", err)
	}
	var sysErr bytes.Buffer
	stdcopy.NewStdWriter(&sysErr, stdcopy.Systemerr).Write([]byte("boom"))
	if err := demux(io.Discard, io.Discard, &sysErr); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("system error: %v", err)
	}
}

// TestDemuxFlushesBeforeBlocking checks that a follower gets every frame
// read so far before demux waits for more.
func TestDemuxFlushesBeforeBlocking(t *testing.T) {
	pr, pw := io.Pipe()
	got := make(chan string, 10)
	out := writerFunc(func(b []byte) (int, error) { got <- string(b); return len(b), nil })
	done := make(chan error, 1)
	go func() { done <- demux(out, io.Discard, pr) }()
	w := stdcopy.NewStdWriter(pw, stdcopy.Stdout)
	w.Write([]byte("first\n"))
	if s := <-got; s != "first\n" {
		t.Fatalf("got %q", s)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
