package main

// The API proxy stands between a tool and the engine: it adds a fixed delay
// to every API call, as a remote engine (ssh:// context, a VM) does, and
// counts the calls by kind. The count is deterministic where timing on a
// shared machine is not.
//
//	go run ./bench -proxy /tmp/engine.sock -latency 30ms
//	DOCKER_HOST=unix:///tmp/engine.sock mycompose up -d

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// apiProxy forwards HTTP over a unix socket to the engine's socket.
type apiProxy struct {
	sock    string // where the proxy listens
	latency time.Duration
	srv     *http.Server
	ln      net.Listener

	mu     sync.Mutex
	counts map[string]int // "GET /containers/json" -> calls
}

// engineSocket is the local engine's socket: DOCKER_HOST when it names a
// unix socket, else the default.
func engineSocket() string {
	if h, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		return h
	}
	return "/var/run/docker.sock"
}

// startProxy listens on sock and forwards to upstream (a unix socket path),
// each request delayed by latency before it is forwarded.
func startProxy(sock, upstream string, latency time.Duration) (*apiProxy, error) {
	os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	p := &apiProxy{sock: sock, latency: latency, ln: ln, counts: map[string]int{}}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: "docker"})
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", upstream)
			},
			MaxIdleConnsPerHost: 64,
		},
		FlushInterval: -1, // logs -f, events: stream as the engine writes
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count(r)
		if p.latency > 0 {
			time.Sleep(p.latency)
		}
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *apiProxy) count(r *http.Request) {
	k := r.Method + " " + callKind(r.URL.Path)
	p.mu.Lock()
	p.counts[k]++
	p.mu.Unlock()
}

// take returns the counts so far and starts afresh.
func (p *apiProxy) take() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	p.counts = map[string]int{}
	return c
}

func (p *apiProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.srv.Shutdown(ctx)
	os.Remove(p.sock)
}

func (p *apiProxy) dockerHost() string { return "unix://" + p.sock }

var apiVersionPrefix = regexp.MustCompile(`^/v[0-9.]+/`)

// callKind names an API path without its object: /v1.41/containers/abc/start
// is /containers/{id}/start, /v1.41/images/x/y:z/json is /images/{name}/json.
func callKind(path string) string {
	path = "/" + apiVersionPrefix.ReplaceAllString(path, "")
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) >= 3 && seg[0] == "images" && seg[len(seg)-1] == "json":
		return "/images/{name}/json"
	case len(seg) >= 2 && !slices.Contains([]string{"json", "create", "prune"}, seg[1]) && seg[0] != "_ping":
		seg[1] = "{id}"
	}
	return "/" + strings.Join(seg, "/")
}

// total is the number of calls in counts.
func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// formatCounts renders counts as "3 (2 GET /containers/json, 1 HEAD /_ping)".
func formatCounts(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return fmt.Sprintf("%d (%s)", total(counts), strings.Join(parts, ", "))
}

// serveProxy is `bench -proxy SOCK`: it serves until interrupted, printing
// the calls of each second that had some.
func serveProxy(ctx context.Context, sock string, latency time.Duration, log io.Writer) error {
	sock, _ = filepath.Abs(sock)
	p, err := startProxy(sock, engineSocket(), latency)
	if err != nil {
		return err
	}
	defer p.close()
	fmt.Fprintf(log, "proxy: DOCKER_HOST=%s (%s per call to %s); the calls of each second are printed\n", p.dockerHost(), latency, engineSocket())
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if c := p.take(); len(c) > 0 {
				fmt.Fprintln(log, "proxy:", formatCounts(c))
			}
		}
	}
}
