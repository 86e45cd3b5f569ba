package watch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mycompose/mycompose/convergence"
)

// The fast path of a sync is a helper process that watch keeps running in
// each replica (one exec, started when the watch first sees the container)
// and feeds each batch through its stdin: a few milliseconds per batch,
// where the engine's archive API (CopyToContainer) and an exec per batch
// each cost a process spawn in the engine, a tenth to half a second on a
// busy machine. It needs sh, head and tar in the image (busybox, Debian,
// Alpine...); a container without them is synced through the archive API.
//
// Protocol, one request at a time, each answered by one line ("ok", or
// "err <code>"):
//
//	D <n>\n<n lines, one container path each>   rm -rf the paths
//	T <n>\n<n bytes of tar>                     extract at /
//
// The tar is always read to its end, even when tar fails, so that the
// stream stays in step.
const helperScript = `command -v tar >/dev/null && command -v head >/dev/null || exit 127
echo ready
while read -r op n; do
  case "$op" in
  D) i=0; r=0; while [ "$i" -lt "$n" ]; do IFS= read -r p; rm -rf -- "$p" || r=$?; i=$((i+1)); done ;;
  T) head -c "$n" | { tar -x -C / ; r=$?; cat >/dev/null; exit $r; }; r=$? ;;
  *) echo "err protocol"; exit 2 ;;
  esac
  if [ "$r" = 0 ]; then echo ok; else echo "err $r"; fi
done`

// errNoHelper means the image cannot run the helper: use the archive API.
var errNoHelper = errors.New("no sh, head or tar in the container")

// helperTimeout bounds one request; a helper that does not answer is
// stopped and the batch is retried through the archive API.
const helperTimeout = 30 * time.Second

// helper is the sync process running in one container.
type helper struct {
	stdin  *io.PipeWriter
	lines  chan string
	done   chan struct{} // closed when the exec ended
	cancel context.CancelFunc
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 4096 {
		s.b.Reset()
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startHelper execs the helper in a container and waits for it to be ready.
func startHelper(ctx context.Context, eng Engine, id string) (*helper, error) {
	ctx, cancel := context.WithCancel(ctx)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	h := &helper{stdin: inW, lines: make(chan string, 4), done: make(chan struct{}), cancel: cancel, stderr: &syncBuffer{}}
	go func() {
		defer close(h.done)
		code, err := eng.Exec(ctx, id, convergence.ExecSpec{Cmd: []string{"sh", "-c", helperScript}, User: "0"},
			convergence.Stdio{Stdin: inR, Stdout: outW, Stderr: h.stderr})
		if err == nil && code != 0 {
			err = fmt.Errorf("exit code %d", code)
		}
		outW.CloseWithError(errOr(err, io.EOF))
		inR.Close()
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	select {
	case line, ok := <-h.lines:
		if ok && line == "ready" {
			return h, nil
		}
		h.close()
		return nil, fmt.Errorf("%w: %s", errNoHelper, strings.TrimSpace(h.stderr.String()))
	case <-time.After(helperTimeout):
		h.close()
		return nil, fmt.Errorf("sync helper did not start within %v", helperTimeout)
	}
}

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

func (h *helper) close() {
	h.cancel()
	h.stdin.Close()
}

// alive reports whether the helper still runs (a restart of its
// container ends it).
func (h *helper) alive() bool {
	select {
	case <-h.done:
		return false
	default:
		return true
	}
}

// sync deletes then extracts, and waits for both answers.
func (h *helper) sync(ctx context.Context, stream []byte, deletes []string) error {
	var req bytes.Buffer
	want := 0
	if len(deletes) > 0 {
		fmt.Fprintf(&req, "D %d\n", len(deletes))
		for _, p := range deletes {
			req.WriteString(p + "\n")
		}
		want++
	}
	if stream != nil {
		fmt.Fprintf(&req, "T %d\n", len(stream))
		req.Write(stream)
		want++
	}
	written := make(chan error, 1)
	go func() {
		_, err := h.stdin.Write(req.Bytes())
		written <- err
	}()
	timeout := time.NewTimer(helperTimeout)
	defer timeout.Stop()
	var failed []string
	for want > 0 {
		select {
		case line, ok := <-h.lines:
			if !ok {
				return fmt.Errorf("sync helper ended: %s", strings.TrimSpace(h.stderr.String()))
			}
			want--
			if line != "ok" {
				failed = append(failed, line)
			}
		case <-timeout.C:
			h.close()
			return fmt.Errorf("sync helper did not answer within %v", helperTimeout)
		case <-ctx.Done():
			h.close()
			return ctx.Err()
		}
	}
	if err := <-written; err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("sync helper: %s: %s", strings.Join(failed, ", "), lastLine(h.stderr.String()))
	}
	return nil
}
