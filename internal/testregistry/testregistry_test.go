package testregistry

import (
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func get(t *testing.T, r *Registry, user, password string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", r.URL()+"/v2/", nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestOpenRegistryListensOnLoopback(t *testing.T) {
	r := Start(t, Options{})
	host, _, err := net.SplitHostPort(r.Addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("Addr %q: want 127.0.0.1:PORT", r.Addr)
	}
	if code := get(t, r, "", ""); code != http.StatusOK {
		t.Fatalf("GET /v2/: %d", code)
	}
	resp, err := http.Get(r.URL() + "/v2/mc/absent/manifests/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Docker-Distribution-Api-Version"), "registry/2") {
		t.Fatalf("absent manifest: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestAuthRegistryChecksThePassword(t *testing.T) {
	r := Start(t, Options{User: "alice", Password: "s3cret"})
	for _, c := range []struct {
		user, password string
		want           int
	}{{"", "", 401}, {"alice", "wrong", 401}, {"bob", "s3cret", 401}, {"alice", "s3cret", 200}} {
		if got := get(t, r, c.user, c.password); got != c.want {
			t.Errorf("%q:%q: %d, want %d", c.user, c.password, got, c.want)
		}
	}
}

func TestStopClosesThePort(t *testing.T) {
	r := Start(t, Options{})
	r.Stop()
	if c, err := net.Dial("tcp", r.Addr); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", r.Addr)
	}
	r.Stop() // idempotent; Cleanup calls it again
}

func TestTwoRegistriesAtOnce(t *testing.T) {
	a, b := Start(t, Options{}), Start(t, Options{User: "u", Password: "p"})
	if a.Addr == b.Addr {
		t.Fatalf("both on %s", a.Addr)
	}
	if get(t, a, "", "") != 200 || get(t, b, "u", "p") != 200 {
		t.Fatal("one of two registries does not answer")
	}
}

func TestWrapSeesEveryRequest(t *testing.T) {
	var n atomic.Int32
	r := Start(t, Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			n.Add(1)
			if req.URL.Path == "/v2/refused/manifests/1" {
				http.Error(w, "refused by the test", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, req)
		})
	}})
	before := n.Load() // Start's readiness probes
	if code := get(t, r, "", ""); code != http.StatusOK {
		t.Fatalf("GET /v2/ through Wrap: %d", code)
	}
	resp, err := http.Get(r.URL() + "/v2/refused/manifests/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || n.Load()-before != 2 {
		t.Fatalf("status %d after %d wrapped requests, want 503 after 2", resp.StatusCode, n.Load()-before)
	}
}
