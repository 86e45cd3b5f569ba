package dockerengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/mycompose/mycompose/convergence"
)

// An engine can go away in the middle of a command. A daemon that stops
// (systemctl restart, an upgrade) first closes its listener, then stops
// every container while still answering on the connections already open,
// then exits: the command sees containers die and odd answers ("failed to
// update store") before the connections close. A dropped network leaves
// the connections open and silent. So, while a command runs (Heartbeat):
//   - an events subscription stays open; it breaks when the daemon exits;
//   - a remote engine is pinged; when it stops answering, every connection
//     of the client is cut, and calls and streams in flight (logs -f,
//     attach, exec, events) fail at once instead of waiting forever;
// and when the command fails, Gone tells a lost engine from a failure of
// the command: the subscription broke, or a fresh connection is refused.

// Heartbeat settings: a ping every heartbeatEvery, each given
// heartbeatTimeout, the engine declared gone after heartbeatMisses in a
// row. A dropped connection is reported within about
// heartbeatMisses*(heartbeatEvery+heartbeatTimeout), 21 s; a loaded but
// living engine answers /_ping well within 5 s.
const (
	heartbeatEvery   = 2 * time.Second
	heartbeatTimeout = 5 * time.Second
	heartbeatMisses  = 3
)

// liveness tracks the connections of one client and whether the engine
// answered once and went away since.
type liveness struct {
	answered atomic.Bool
	// helper names the connection helper every connection goes through
	// ("ssh" for ssh://: an ssh client running `docker system dial-stdio`
	// on the remote host), "" for direct connections.
	helper string

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	// helperFailed is a helper's connection's failure (lastHelperError).
	helperFailed *helperError
	gone         error // why the heartbeat gave up; nil while it answers
	broke        error // why the events subscription ended, nil while open
	stop         context.CancelFunc
	// base is the client's transport, for a probe on a fresh connection.
	base *http.Transport
	// done is closed when the engine is found gone (see Done).
	done     chan struct{}
	doneOnce sync.Once
}

func (l *liveness) lost() { l.doneOnce.Do(func() { close(l.doneChan()) }) }

func (l *liveness) doneChan() chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done == nil {
		l.done = make(chan struct{})
	}
	return l.done
}

// Done is closed when the heartbeat gives up or the events subscription
// breaks while the command runs: a command waiting on something else than
// the engine (watch waits on files) ends then.
func (e *Engine) Done() <-chan struct{} {
	if e.live == nil {
		return nil
	}
	return e.live.doneChan()
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// trackConns is a client option (the last one) that routes the client's
// dials through l, so that cut can close them.
func (l *liveness) trackConns(c *client.Client) error {
	tr, ok := c.HTTPClient().Transport.(*http.Transport)
	if !ok {
		return nil // a custom transport: no tracking, the heartbeat still reports
	}
	dial := dialFunc(tr.DialContext)
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr.DialContext = l.dialer(dial)
	l.base = tr
	return nil
}

func (l *liveness) dialer(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		l.mu.Lock()
		gone := l.gone
		l.mu.Unlock()
		if gone != nil {
			return nil, gone
		}
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.gone != nil {
			conn.Close()
			return nil, l.gone
		}
		if l.conns == nil {
			l.conns = map[net.Conn]struct{}{}
		}
		tc := &trackedConn{Conn: conn, l: l}
		l.conns[tc] = struct{}{}
		return tc, nil
	}
}

type trackedConn struct {
	net.Conn
	l    *liveness
	once sync.Once
}

// Read and Write mark a connection helper's failures (see helperError).
func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, c.l.helperErr(err)
}

func (c *trackedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && c.l.helper != "" && errors.Is(err, syscall.EPIPE) {
		err = c.exitReport(err)
	}
	return n, c.l.helperErr(err)
}

// helperReportWait bounds the wait for a helper's exit report once its
// stdin broke; docker/cli's own wait for the helper to exit is 10 s.
const helperReportWait = 3 * time.Second

// exitReport is the helper's exit report (with its stderr: why ssh could
// not connect) when a write found its stdin closed, which means it exited
// before reading the request, as ssh does when it cannot connect at once;
// docker/cli's command connection gives that report only on the end of
// the helper's stdout, so read it. broke stays the error when the helper
// exited cleanly or its stdout does not end within helperReportWait.
func (c *trackedConn) exitReport(broke error) error {
	report := make(chan error, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := c.Conn.Read(buf); err != nil {
				report <- err
				return
			}
		}
	}()
	select {
	case err := <-report:
		if err == io.EOF {
			return broke
		}
		return err
	case <-time.After(helperReportWait):
		return broke
	}
}

// helperError is the failure of a connection through a connection helper
// (ssh://): the helper's process exited or its pipes broke. docker/cli's
// command connection reports an exit as a plain error naming the command
// line, its exit status and its stderr, with advice for a first
// connection ("make sure the URL is valid, and Docker 18.09 or later is
// installed"). Error keeps that report; messages say it in one line: what
// the helper said when it could not connect at all (Engine.unreachable),
// and once the engine answered, that the connection dropped (see
// connectionLost and rootCause).
type helperError struct {
	helper string
	err    error
}

func (e *helperError) Error() string { return e.err.Error() }
func (e *helperError) Unwrap() error { return e.err }

// said is the last line the helper wrote on its stderr before it exited,
// which says why it could not connect ("root@10.0.0.2: Permission denied
// (publickey).", "ssh: connect to host 10.0.0.2 port 22: Connection
// refused", the remote "docker: command not found"), prefixed with the
// helper's name when the line does not start with it and without its
// final period (the message goes on); "" when it wrote
// nothing. docker/cli's command connection gives its stderr only inside
// its report's text, after "stderr=" (quoted when the helper did not exit
// after the end of its stdout): only this text is taken from it, for the
// message; what the failure means is decided by the type.
func (e *helperError) said() string {
	_, stderr, ok := strings.Cut(e.err.Error(), ": stderr=")
	if !ok {
		return ""
	}
	if s, err := strconv.Unquote(stderr); err == nil {
		stderr = s
	}
	lines := strings.Split(stderr, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSuffix(strings.TrimSpace(lines[i]), ".")
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, e.helper+": ") {
			line = e.helper + ": " + line
		}
		return line
	}
	return ""
}

// helperEnded is a helperError's cause in one line, for messages.
type helperEnded struct{ h *helperError }

func (e *helperEnded) Error() string { return "the " + e.h.helper + " connection ended" }
func (e *helperEnded) Unwrap() error { return e.h.err }

// helperErr marks err as a helperError when the connection goes through a
// helper. The end of the stream (io.EOF, the helper exiting cleanly) is
// left as it is: readers compare it by identity.
func (l *liveness) helperErr(err error) error {
	if err == nil || err == io.EOF || l.helper == "" {
		return err
	}
	h := &helperError{helper: l.helper, err: err}
	l.mu.Lock()
	if l.helperFailed == nil || h.said() != "" {
		l.helperFailed = h
	}
	l.mu.Unlock()
	return h
}

// lastHelperError is the last failure of a connection through the helper
// that says why (the first one when none does), nil if none: the
// connection's other readers and writers fail after the helper's exit
// report with less ("file already closed"); and the client does not
// always keep the failure in the error it returns: it replaces one whose
// text has "connection refused" or "dial unix", as the remote `docker
// system dial-stdio` says when its daemon is stopped, with its own
// "Cannot connect to the Docker daemon".
func (l *liveness) lastHelperError() *helperError {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.helperFailed
}

// CloseWrite half-closes the connection when the underlying one can: a
// hijacked exec or attach signals the end of stdin that way.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// cut records why the engine is gone and closes every connection.
func (l *liveness) cut(why error) {
	l.mu.Lock()
	if l.gone == nil {
		l.gone = why
	}
	conns := l.conns
	l.conns = nil
	l.mu.Unlock()
	for c := range conns {
		c.(*trackedConn).Conn.Close()
	}
	l.lost()
}

func (l *liveness) goneErr() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gone
}

// errNoHeartbeat is the cause when the engine stopped answering pings.
var errNoHeartbeat = errors.New("no answer to " + fmt.Sprint(heartbeatMisses) + " pings in a row")

// Heartbeat watches the engine until Close (see liveness): an events
// subscription, and for a remote engine a ping that cuts every connection
// when the engine stops answering. Local sockets (unix://, npipe://) need
// no ping: a daemon that goes away closes them.
func (e *Engine) Heartbeat() {
	if e.live == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.live.mu.Lock()
	if e.live.stop != nil {
		e.live.mu.Unlock()
		cancel()
		return
	}
	e.live.stop = cancel
	e.live.mu.Unlock()
	go e.subscribe(ctx)
	if !isLocalEndpoint(e.Endpoint()) {
		go e.heartbeat(ctx)
	}
}

// subscribe holds an events subscription (daemon events only, which are
// rare) and records why it ended, unless Close ended it.
func (e *Engine) subscribe(ctx context.Context) {
	_, errs := e.cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(filters.Arg("type", "daemon"))})
	err := <-errs
	if ctx.Err() != nil {
		return
	}
	e.live.mu.Lock()
	if e.live.broke == nil {
		e.live.broke = fmt.Errorf("its event stream ended: %w", rootCause(err))
	}
	e.live.mu.Unlock()
	e.live.lost()
}

// errRefused is the cause when a fresh connection is refused.
var errRefused = errors.New("it refuses new connections")

// Gone returns a *convergence.EngineGoneError when the engine went away
// while this client used it: the heartbeat gave up, the events
// subscription broke, or a fresh connection is not answered (a daemon
// stopping closes its listener first). Call it when a command failed, to
// tell a lost engine from a failure of the command; nil otherwise.
func (e *Engine) Gone(ctx context.Context) error {
	if e.live == nil || !e.live.answered.Load() {
		return nil
	}
	e.live.mu.Lock()
	why := cmpErr(e.live.gone, e.live.broke)
	base := e.live.base
	e.live.mu.Unlock()
	if why == nil && base != nil {
		why = e.probe(ctx, base)
	}
	if why == nil {
		return nil
	}
	return &convergence.EngineGoneError{Endpoint: e.Endpoint(), Err: why}
}

// probe pings the engine on a new connection.
func (e *Engine) probe(ctx context.Context, base *http.Transport) error {
	u, err := client.ParseHostURL(e.Endpoint())
	if err != nil {
		return nil
	}
	host, scheme := u.Host, "http"
	if u.Scheme != "tcp" {
		host = "api.moby.localhost" // the dialer ignores it
	}
	if base.TLSClientConfig != nil {
		scheme = "https"
	}
	tr := base.Clone()
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, heartbeatTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, scheme+"://"+host+"/_ping", nil)
	if err != nil {
		return nil
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", errRefused, rootCause(err))
	}
	resp.Body.Close()
	return nil
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) heartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	misses := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, heartbeatTimeout)
		_, err := e.cli.Ping(pctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			misses = 0
			continue
		}
		if misses++; misses >= heartbeatMisses {
			e.live.cut(fmt.Errorf("%w: %w", errNoHeartbeat, rootCause(err)))
			return
		}
	}
}

func (l *liveness) stopHeartbeat() {
	if l == nil {
		return
	}
	l.mu.Lock()
	stop := l.stop
	l.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func isLocalEndpoint(ep string) bool {
	return strings.HasPrefix(ep, "unix://") || strings.HasPrefix(ep, "npipe://")
}

// Lost returns the *convergence.EngineGoneError that err means, with op
// (what was being done, "" when unknown), when the engine answered this
// client once and err is the connection failing since; nil otherwise.
// Cancellation is never a loss.
func (e *Engine) Lost(op string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	var g *convergence.EngineGoneError
	if errors.As(err, &g) {
		return err
	}
	if why := e.live.goneErr(); why != nil {
		return &convergence.EngineGoneError{Op: op, Endpoint: e.Endpoint(), Err: why}
	}
	if e.live == nil || !e.live.answered.Load() || !connectionLost(err) {
		return nil
	}
	return &convergence.EngineGoneError{Op: op, Endpoint: e.Endpoint(), Err: rootCause(err)}
}

// connectionLost says whether err is the transport failing (the connection
// closed, reset, refused, or unreachable) rather than an answer of the engine.
func connectionLost(err error) bool {
	if client.IsErrConnectionFailed(err) {
		return true
	}
	var h *helperError
	if errors.As(err, &h) {
		return true
	}
	for _, target := range []error{io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, syscall.ECONNRESET,
		syscall.ECONNREFUSED, syscall.EPIPE, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ETIMEDOUT, os.ErrDeadlineExceeded} {
		if errors.Is(err, target) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, context.DeadlineExceeded)
}

// rootCause is the innermost error of err's first chain, which names what
// the connection saw ("connection refused", "EOF") without the URL; for a
// connection helper's failure, that its connection ended.
func rootCause(err error) error {
	for {
		if h, ok := err.(*helperError); ok {
			return &helperEnded{h}
		}
		var next error
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			if errs := u.Unwrap(); len(errs) > 0 {
				next = errs[0]
			}
		case interface{ Unwrap() error }:
			next = u.Unwrap()
		}
		if next == nil {
			return err
		}
		err = next
	}
}

// streamFail is the error of a stream (logs, attach, exec) that broke
// after its call succeeded: the engine gone, or the stream's own error.
func (e *Engine) streamFail(err error, op string) error {
	if err == nil {
		return nil
	}
	if g := e.Lost(op, err); g != nil {
		return g
	}
	return fmt.Errorf("%s: %w", op, err)
}
