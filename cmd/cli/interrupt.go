package cli

import (
	"context"
	"os"
	"sync"
	"syscall"
)

// signals lets a command see which signal interrupted it and take over the
// second one. Main cancels the command's context on the first SIGINT or
// SIGTERM and, by default, exits at once on the second; attached `up`
// instead kills its containers then, and `run` forwards the first signal to
// its container rather than merely stopping.
type signals struct {
	mu    sync.Mutex
	first os.Signal
	force func()
}

type signalsKey struct{}

// withSignals attaches s to ctx for the commands to find.
func withSignals(ctx context.Context, s *signals) context.Context {
	return context.WithValue(ctx, signalsKey{}, s)
}

// received records the first signal.
func (s *signals) received(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == nil {
		s.first = sig
	}
}

// forced runs the command's handler of the second signal and reports
// whether there was one.
func (s *signals) forced() bool {
	s.mu.Lock()
	fn := s.force
	s.mu.Unlock()
	if fn == nil {
		return false
	}
	fn()
	return true
}

// onForce makes fn the handler of the second signal until release is
// called. Without Main (tests call Run) it does nothing.
func onForce(ctx context.Context, fn func()) (release func()) {
	s, ok := ctx.Value(signalsKey{}).(*signals)
	if !ok {
		return func() {}
	}
	s.mu.Lock()
	s.force = fn
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.force = nil
		s.mu.Unlock()
	}
}

// interruptSignal names the signal that cancelled ctx, SIGINT when unknown.
func interruptSignal(ctx context.Context) string {
	if s, ok := ctx.Value(signalsKey{}).(*signals); ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.first == syscall.SIGTERM {
			return "SIGTERM"
		}
	}
	return "SIGINT"
}
