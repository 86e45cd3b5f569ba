package cli

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"sync"
)

// maxLogLine bounds the bytes a log writer holds while waiting for a
// newline: a process printing without newlines is flushed in pieces
// instead of growing memory without end.
const maxLogLine = 64 << 10

// logColors are the ANSI colours of service prefixes, as Docker Compose
// cycles through them.
var logColors = []string{"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"}

// logPrinter writes the lines of several containers to one output, each
// line whole and prefixed "name  | " with the names aligned.
type logPrinter struct {
	mu     sync.Mutex
	stdout io.Writer
	stderr io.Writer
	color  bool
	prefix bool
	width  int
}

func newLogPrinter(stdout, stderr io.Writer, color, prefix bool) *logPrinter {
	return &logPrinter{stdout: stdout, stderr: stderr, color: color, prefix: prefix}
}

// register widens the prefix column for a container name, so that lines
// stay aligned as containers appear.
func (p *logPrinter) register(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(name)+1 > p.width {
		p.width = len(name) + 1
	}
}

// colorOf picks a service's colour from its name, so it is the same in
// every run.
func colorOf(service string) string {
	h := fnv.New32a()
	h.Write([]byte(service))
	return logColors[h.Sum32()%uint32(len(logColors))]
}

// label is a container's line prefix ("name  | ", coloured when asked),
// "" without prefixes; p.mu is held.
func (p *logPrinter) label(name, service string) string {
	if !p.prefix {
		return ""
	}
	label := fmt.Sprintf("%-*s |", p.width, name)
	if p.color {
		label = "\x1b[" + colorOf(service) + "m" + label + "\x1b[0m"
	}
	return label + " "
}

// status prints a message about a container, such as its exit.
func (p *logPrinter) status(name, service, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := name + " " + msg
	if p.color {
		line = "\x1b[" + colorOf(service) + "m" + line + "\x1b[0m"
	}
	fmt.Fprintln(p.stdout, line)
}

// writers returns the stdout and stderr writers of one container's stream.
// Close them at the end of the stream to flush a last unterminated line.
func (p *logPrinter) writers(name, service string) (*lineWriter, *lineWriter) {
	p.register(name)
	return &lineWriter{p: p, w: p.stdout, name: name, service: service},
		&lineWriter{p: p, w: p.stderr, name: name, service: service}
}

// lineWriter cuts a byte stream into lines for the printer. The whole
// lines of one Write go out in one write of the output, under the
// printer's lock, so that they stay whole and a busy stream costs one
// system call per chunk the engine sends rather than one per line.
type lineWriter struct {
	p             *logPrinter
	w             io.Writer
	name, service string
	buf           []byte // the start of an unterminated line
	out           []byte // the lines of the current Write, prefixed
}

func (l *lineWriter) Write(b []byte) (int, error) {
	n := len(b)
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	label := l.p.label(l.name, l.service)
	l.out = l.out[:0]
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i]
		}
		if room := maxLogLine - len(l.buf); len(chunk) > room || (len(chunk) == room && i < 0) {
			l.buf = append(l.buf, chunk[:room]...)
			l.flush(label)
			b = b[room:]
			continue
		}
		if i < 0 {
			l.buf = append(l.buf, chunk...)
			break
		}
		if len(l.buf) == 0 {
			l.appendLine(label, chunk) // the common case: no copy into buf
		} else {
			l.buf = append(l.buf, chunk...)
			l.flush(label)
		}
		b = b[i+1:]
	}
	if len(l.out) > 0 {
		l.w.Write(l.out)
	}
	return n, nil
}

// flush moves the buffered line to out.
func (l *lineWriter) flush(label string) {
	l.appendLine(label, l.buf)
	l.buf = l.buf[:0]
}

func (l *lineWriter) appendLine(label string, line []byte) {
	l.out = append(l.out, label...)
	l.out = append(l.out, bytes.TrimSuffix(line, []byte("\r"))...)
	l.out = append(l.out, '\n')
}

// Close prints what is left of an unterminated last line.
func (l *lineWriter) Close() error {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	if len(l.buf) > 0 {
		l.out = l.out[:0]
		l.flush(l.p.label(l.name, l.service))
		l.w.Write(l.out)
	}
	return nil
}
