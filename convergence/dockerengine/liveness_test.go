package dockerengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mycompose/mycompose/convergence"
)

// TestLost pins which errors read as the engine gone: transport failures
// once the engine answered, never an answer of the engine, never a
// cancellation, never before the first answer (that is "cannot connect").
func TestLost(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name     string
		err      error
		answered bool
		gone     bool
	}{
		{"EOF mid-call", fmt.Errorf("Post %q: %w", "http://x/containers/create", io.EOF), true, true},
		{"unexpected EOF in a stream", io.ErrUnexpectedEOF, true, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true, true},
		{"refused after answering", refused, true, true},
		{"closed by the heartbeat", fmt.Errorf("read: %w", net.ErrClosed), true, true},
		{"refused before any answer", refused, false, false},
		{"an answer of the engine", errors.New("Error response from daemon: No such container: x"), true, false},
		{"cancelled", fmt.Errorf("read: %w: %w", context.Canceled, io.EOF), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Engine{endpoint: "tcp://10.0.0.2:2375", live: &liveness{}}
			e.live.answered.Store(tt.answered)
			err := e.Lost(`create container "p-web-1"`, tt.err)
			if (err != nil) != tt.gone {
				t.Fatalf("Lost(%v) = %v, want gone=%v", tt.err, err, tt.gone)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, convergence.ErrEngineGone) {
				t.Errorf("%v is not ErrEngineGone", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, `create container "p-web-1": the engine at tcp://10.0.0.2:2375 went away (`) {
				t.Errorf("message %q", msg)
			}
		})
	}
}

// TestCutEndsStreams: when the heartbeat gives up, a stream in flight on a
// tracked connection ends at once, and new dials are refused.
func TestCutEndsStreams(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-block
	}))
	defer srv.Close()
	defer close(block)
	l := &liveness{}
	tr := &http.Transport{DialContext: l.dialer((&net.Dialer{}).DialContext)}
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		done <- err
	}()
	l.cut(errNoHeartbeat)
	if err := <-done; err == nil {
		t.Error("the stream ended cleanly; want an error")
	}
	<-l.doneChan()
	if _, err := (&http.Client{Transport: tr}).Get(srv.URL); !errors.Is(err, errNoHeartbeat) {
		t.Errorf("dial after the cut: %v, want the cut's cause", err)
	}
}
