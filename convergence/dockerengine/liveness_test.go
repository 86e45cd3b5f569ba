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

	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/docker/client"

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

// fakeSSH is a connection helper's script (sh) standing for `ssh HOST
// docker system dial-stdio`: it answers pings, then, on the first other
// request, fails as ssh does when the remote closes the connection: a
// line on stderr, exit 255, no answer.
func fakeSSH(stderr string) string {
	return fmt.Sprintf(`cr=$(printf '\r')
while IFS= read -r request; do
  while IFS= read -r line; do case "$line" in "$cr"|"") break;; esac; done
  case "$request" in *" /_ping "*|*"/_ping "*) ;; *) break;; esac
  printf 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 0\r\n\r\n'
done
echo %q >&2
exit 255`, stderr)
}

// fakeSSHEngine is an engine whose connections run script, as ssh://
// endpoints' do, through docker/cli's command connection.
func fakeSSHEngine(t *testing.T, script string) *Engine {
	t.Helper()
	helper, err := connhelper.GetCommandConnectionHelper("sh", "-c", script)
	if err != nil {
		t.Fatal(err)
	}
	live := &liveness{helper: "ssh"}
	cli, err := client.NewClientWithOpts(
		client.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: helper.Dialer}}),
		client.WithHost(helper.Host), client.WithDialContext(helper.Dialer), live.trackConns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return &Engine{cli: cli, endpoint: "ssh://root@10.0.0.2", live: live}
}

// TestSSHConnectionEnds: over ssh:// a dropped connection is the ssh
// client exiting (the remote closed the connection: a session killed, the
// server restarting), which docker/cli reports as a long error naming the
// command line and advising to check the URL. Once the engine answered,
// that is the engine gone, in one line; before, the report stays whole,
// as it says why ssh could not connect.
func TestSSHConnectionEnds(t *testing.T) {
	ctx := context.Background()
	e := fakeSSHEngine(t, fakeSSH("Connection to 10.0.0.2 closed by remote host."))
	if err := e.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := e.cli.ServerVersion(ctx)
	if err == nil {
		t.Fatal("the second call succeeded; want the helper's exit")
	}
	gone := e.Lost(`list containers of project "p"`, err)
	if !errors.Is(gone, convergence.ErrEngineGone) {
		t.Fatalf("Lost(%v) = %v, want ErrEngineGone", err, gone)
	}
	const want = `list containers of project "p": the engine at ssh://root@10.0.0.2 went away (the ssh connection ended)`
	if gone.Error() != want {
		t.Errorf("message:\n%s\nwant\n%s", gone.Error(), want)
	}

	// A stream (logs -f, attach, events) breaks the same way, with the
	// helper's error as it is, not wrapped by the client.
	conn, err := e.cli.Dialer()(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /containers/x/logs?follow=1 HTTP/1.1\r\nHost: docker\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(conn)
	if gone := e.Lost("", err); gone == nil || gone.Error() != "the engine at ssh://root@10.0.0.2 went away (the ssh connection ended)" {
		t.Errorf("stream: Lost(%v) = %v", err, gone)
	}

	// Before the engine answered, the helper failing is no engine gone.
	first := fakeSSHEngine(t, "echo 'root@10.0.0.2: Permission denied (publickey).' >&2; exit 255")
	if err := first.Ping(ctx); err == nil || errors.Is(err, convergence.ErrEngineGone) {
		t.Errorf("first connection failing: %v, want an error, not the engine gone", err)
	}
}

// TestSSHEndpointHelper: an ssh:// endpoint's connections are marked as
// a helper's, and it gets the heartbeat of remote engines.
func TestSSHEndpointHelper(t *testing.T) {
	for host, helper := range map[string]string{"ssh://root@10.0.0.2": "ssh", "tcp://10.0.0.2:2375": "", "unix:///var/run/docker.sock": ""} {
		e, err := Open(Selection{Host: host, Environ: []string{"HOME=" + t.TempDir()}})
		if err != nil {
			t.Fatal(err)
		}
		if e.live.helper != helper {
			t.Errorf("%s: helper %q, want %q", host, e.live.helper, helper)
		}
		want := !strings.HasPrefix(host, "unix:")
		if remote := !isLocalEndpoint(e.Endpoint()); remote != want {
			t.Errorf("%s: pinged as a remote engine %v, want %v", host, remote, want)
		}
	}
}

// TestSSHCannotConnect: when ssh cannot connect at all, the first call's
// error is one line saying what ssh said (its last line on stderr), which
// tells a refused key from a closed port or a stopped daemon, not
// docker/cli's report naming the ssh command line, nor "is the daemon
// running?".
func TestSSHCannotConnect(t *testing.T) {
	const prefix = "cannot connect to the Docker engine at ssh://root@10.0.0.2: "
	for _, tc := range []struct{ name, stderr, want string }{
		{"key refused", "root@10.0.0.2: Permission denied (publickey).",
			"ssh: root@10.0.0.2: Permission denied (publickey)"},
		{"port closed", "ssh: connect to host 10.0.0.2 port 22: Connection refused",
			"ssh: connect to host 10.0.0.2 port 22: Connection refused"},
		{"unknown host", "ssh: Could not resolve hostname nohost: Name or service not known",
			"ssh: Could not resolve hostname nohost: Name or service not known"},
		{"host key changed", "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n" +
			"@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n" +
			"Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n" +
			"Host key for 10.0.0.2 has changed and you have requested strict checking.\n" +
			"Host key verification failed.\n",
			"ssh: Host key verification failed"},
		{"no docker on the remote host", "bash: line 1: docker: command not found",
			"ssh: bash: line 1: docker: command not found"},
		// The client drops the error of a failed request whose text says
		// "connection refused" or "dial unix" for its own "Cannot
		// connect": what the helper said is kept aside.
		{"remote daemon stopped", "failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: connection refused",
			"ssh: failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: connection refused"},
		{"nothing said", "", "the ssh connection ended before the engine answered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := "exit 255"
			if tc.stderr != "" {
				script = "cat >&2 <<'EOF'\n" + tc.stderr + "\nEOF\nexit 255"
			}
			err := fakeSSHEngine(t, script).Ping(context.Background())
			if err == nil || err.Error() != prefix+tc.want {
				t.Errorf("Ping: %v\nwant %s", err, prefix+tc.want)
			}
			if errors.Is(err, convergence.ErrEngineGone) {
				t.Errorf("Ping: %v is the engine gone; it never answered", err)
			}
		})
	}
}

// TestSSHExitBeforeRequest: ssh can exit before the request is written
// (a refused connection is quick); the write then finds its stdin closed,
// and the error still carries what ssh said.
func TestSSHExitBeforeRequest(t *testing.T) {
	e := fakeSSHEngine(t, "exec 0<&-; echo 'ssh: connect to host 10.0.0.2 port 22: Connection refused' >&2; exit 255")
	conn, err := e.cli.Dialer()(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Writes fill the pipe until ssh has closed it.
	for err == nil {
		_, err = conn.Write([]byte("HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"))
	}
	var h *helperError
	if !errors.As(err, &h) || h.said() != "ssh: connect to host 10.0.0.2 port 22: Connection refused" {
		t.Errorf("write after ssh exited: %v, want a helperError with ssh's stderr", err)
	}
}
