// Package testregistry runs the reference container registry (the Go module
// of CNCF Distribution, the code behind Docker's "registry" image) inside the
// test process, on a loopback port, for tests that pull and push through the
// Docker engine.
//
// The registry listens on 127.0.0.1 only, on a port the kernel picks, so
// nothing leaves the machine and parallel tests never collide. The engine
// treats 127.0.0.0/8 registries as insecure (plain HTTP) by default and sends
// basic-auth credentials to them without TLS, so no certificate and no daemon
// configuration is needed. With a user and password the registry asks for
// htpasswd basic auth; the htpasswd file (bcrypt) lives in the test's
// temporary directory, as does the storage.
package testregistry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// The registry finds its auth and storage backends by name in
	// registries these imports fill.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// Options configure a registry. The zero value is an open registry.
type Options struct {
	// User and Password, when User is set, protect every request with
	// basic auth against an htpasswd file holding this one user.
	User, Password string
	// Wrap, when set, wraps the registry's handler: a test can count,
	// slow down or fail requests (e.g. throttle blob downloads to watch
	// pull progress).
	Wrap func(http.Handler) http.Handler
	// Listen is the address to listen on; "" is a kernel-picked loopback
	// port. Only the lab registry (cmd/labregistry) listens elsewhere.
	Listen string
}

// Registry is a running registry.
type Registry struct {
	// Addr is host:port (127.0.0.1:PORT): the registry part of image
	// references, e.g. Addr + "/mc/app:1".
	Addr string

	srv      *http.Server
	app      *handlers.App
	stopOnce sync.Once
}

// The registry logs through logrus's standard logger, shared by every
// registry in the process. Its output is discarded; a hook files each entry
// under the registry it names (the request's Host), and Start's cleanup
// prints a registry's entries to the test log when the test failed.
var (
	logsOnce sync.Once
	logsMu   sync.Mutex
	logs     = map[string]*strings.Builder{} // Addr -> entries
)

type logHook struct{}

func (logHook) Levels() []logrus.Level { return logrus.AllLevels }

func (logHook) Fire(e *logrus.Entry) error {
	host, _ := e.Data["http.request.host"].(string)
	line, err := e.String()
	if err != nil {
		return err
	}
	logsMu.Lock()
	defer logsMu.Unlock()
	if b := logs[host]; b != nil && b.Len() < 1<<20 {
		b.WriteString(line)
	}
	return nil
}

// Start starts a registry and stops it when the test ends. It fails the
// test if the registry cannot start.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	r, err := start(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	t.Cleanup(func() {
		r.Stop()
		logsMu.Lock()
		b := logs[r.Addr]
		delete(logs, r.Addr)
		logsMu.Unlock()
		if t.Failed() && b.Len() > 0 {
			t.Logf("registry %s log:\n%s", r.Addr, b.String())
		}
	})
	return r
}

// Run starts a registry storing in dir, for a registry that outlives a
// test (the Swarm lab's, cmd/labregistry). Stop it with Stop.
func Run(dir string, opts Options) (*Registry, error) { return start(dir, opts) }

func start(dir string, opts Options) (*Registry, error) {
	logsOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.AddHook(logHook{})
	})
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	storage := filepath.Join(dir, "storage")
	if err := os.MkdirAll(storage, 0o700); err != nil {
		return nil, err
	}
	config := &configuration.Configuration{
		Storage: configuration.Storage{
			"filesystem": configuration.Parameters{"rootdirectory": storage},
			"delete":     configuration.Parameters{"enabled": true},
			// No background sweeper: the registry lives for one test.
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		},
	}
	config.HTTP.Secret = hex.EncodeToString(secret)
	config.Log.AccessLog.Disabled = true
	if opts.User != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(opts.Password), bcrypt.MinCost)
		if err != nil {
			return nil, fmt.Errorf("hash the password: %w", err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(opts.User+":"+string(hash)+"\n"), 0o600); err != nil {
			return nil, err
		}
		config.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "mycompose-test", "path": htpasswd}}
	}

	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	app, err := newApp(config)
	if err != nil {
		ln.Close()
		return nil, err
	}
	var handler http.Handler = app
	if opts.Wrap != nil {
		handler = opts.Wrap(handler)
	}
	r := &Registry{
		Addr: ln.Addr().String(),
		app:  app,
		srv:  &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second},
	}
	logsMu.Lock()
	logs[r.Addr] = &strings.Builder{}
	logsMu.Unlock()
	go r.srv.Serve(ln)
	return r, r.waitReady()
}

// newApp builds the registry's HTTP handler; the library reports bad
// configuration by panicking.
func newApp(config *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("configure the registry: %v", p)
		}
	}()
	return handlers.NewApp(context.Background(), config), nil
}

// waitReady returns once the registry answers its version check (200, or
// 401 when it asks for credentials).
func (r *Registry) waitReady() error {
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := client.Get(r.URL() + "/v2/")
		if err != nil {
			last = err
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
			return nil
		}
		last = fmt.Errorf("GET /v2/: %s", resp.Status)
	}
	r.Stop()
	return errors.Join(errors.New("the registry did not answer in 10s"), last)
}

// URL is the registry's base URL (http://127.0.0.1:PORT).
func (r *Registry) URL() string {
	host, port, _ := net.SplitHostPort(r.Addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // a wildcard listener answers on loopback too
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Stop closes the listener and open connections. Start registers it as a
// cleanup; calling it earlier (to test an unreachable registry) is fine.
func (r *Registry) Stop() {
	r.stopOnce.Do(func() {
		r.srv.Close()
		r.app.Shutdown()
	})
}
