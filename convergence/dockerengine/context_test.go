package dockerengine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
)

// writeContext stores a docker context the way `docker context create` does.
func writeContext(t *testing.T, configDir, name, host string, tls *store.EndpointTLSData) {
	t.Helper()
	s := contextStore(map[string]string{EnvConfig: configDir})
	err := s.CreateOrUpdate(store.Metadata{
		Name:      name,
		Metadata:  map[string]any{"Description": "test"},
		Endpoints: map[string]any{docker.DockerEndpoint: docker.EndpointMeta{Host: host, SkipTLSVerify: tls != nil}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tls != nil {
		if err := s.ResetEndpointTLSMaterial(name, docker.DockerEndpoint, tls); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// contextFixture is a config directory with two contexts, "flagctx" and
// "envctx", and currentContext "current".
func contextFixture(t *testing.T) string {
	dir := t.TempDir()
	writeContext(t, dir, "flagctx", "unix:///run/flag.sock", nil)
	writeContext(t, dir, "envctx", "tcp://10.0.0.2:2375", nil)
	writeContext(t, dir, "current", "ssh://me@build-box", nil)
	writeFile(t, filepath.Join(dir, "config.json"), `{"currentContext": "current"}`)
	return dir
}

func TestResolvePrecedence(t *testing.T) {
	dir := contextFixture(t)
	all := []string{"DOCKER_CONFIG=" + dir, "DOCKER_HOST=tcp://envhost:2375", "DOCKER_CONTEXT=envctx"}
	cases := []struct {
		name              string
		sel               Selection
		host, ctx, source string
	}{
		{"--host wins over everything", Selection{Host: "tcp://flaghost:2375", Context: "flagctx", Environ: all},
			"tcp://flaghost:2375", "", "--host"},
		{"--context wins over the environment", Selection{Context: "flagctx", Environ: all},
			"unix:///run/flag.sock", "flagctx", "--context"},
		{"DOCKER_HOST wins over DOCKER_CONTEXT", Selection{Environ: all},
			"tcp://envhost:2375", "", "DOCKER_HOST"},
		{"DOCKER_CONTEXT wins over currentContext", Selection{Environ: []string{"DOCKER_CONFIG=" + dir, "DOCKER_CONTEXT=envctx"}},
			"tcp://10.0.0.2:2375", "envctx", "DOCKER_CONTEXT"},
		{"currentContext", Selection{Environ: []string{"DOCKER_CONFIG=" + dir}},
			"ssh://me@build-box", "current", "currentContext in " + filepath.Join(dir, "config.json")},
		{"default socket", Selection{Environ: []string{"DOCKER_CONFIG=" + t.TempDir()}},
			"unix:///var/run/docker.sock", "", "default"},
		{"--context default is DOCKER_HOST", Selection{Context: "default", Environ: all},
			"tcp://envhost:2375", "default", "--context"},
		{"HOME/.docker without DOCKER_CONFIG", Selection{Environ: []string{"HOME=" + filepath.Dir(dir), "DOCKER_CONFIG="}},
			"unix:///var/run/docker.sock", "", "default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Resolve(c.sel)
			if err != nil {
				t.Fatal(err)
			}
			if r.Host != c.host || r.Context != c.ctx || r.Source != c.source {
				t.Errorf("got host %q context %q source %q, want %q %q %q", r.Host, r.Context, r.Source, c.host, c.ctx, c.source)
			}
		})
	}
}

func TestResolveHomeConfig(t *testing.T) {
	home := t.TempDir()
	writeContext(t, filepath.Join(home, ".docker"), "homectx", "tcp://homehost:2375", nil)
	r, err := Resolve(Selection{Context: "homectx", Environ: []string{"HOME=" + home}})
	if err != nil || r.Host != "tcp://homehost:2375" {
		t.Fatalf("got %+v, %v", r, err)
	}
}

func TestResolveUnknownContextListsAvailable(t *testing.T) {
	dir := contextFixture(t)
	for _, sel := range []Selection{
		{Context: "nope", Environ: []string{"DOCKER_CONFIG=" + dir}},
		{Environ: []string{"DOCKER_CONFIG=" + dir, "DOCKER_CONTEXT=nope"}},
	} {
		_, err := Resolve(sel)
		if err == nil {
			t.Fatal("unknown context resolved")
		}
		for _, want := range []string{`docker context "nope"`, "does not exist", "available contexts: default, current, envctx, flagctx"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	}
}

func TestResolveBadConfigFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.json"), `{"currentContext": `)
	_, err := Resolve(Selection{Environ: []string{"DOCKER_CONFIG=" + dir}})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("error %v does not name %s", err, dir)
	}
}

func TestResolveTLSFromEnvironment(t *testing.T) {
	certs := t.TempDir()
	writeFile(t, filepath.Join(certs, "ca.pem"), "CA")
	writeFile(t, filepath.Join(certs, "cert.pem"), "CERT")
	writeFile(t, filepath.Join(certs, "key.pem"), "KEY")
	r, err := Resolve(Selection{Environ: []string{"DOCKER_HOST=tcp://h:2376", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certs}})
	if err != nil {
		t.Fatal(err)
	}
	if r.TLS == nil || string(r.TLS.CA) != "CA" || string(r.TLS.Key) != "KEY" || r.SkipTLSVerify {
		t.Errorf("verified TLS not configured: %+v", r)
	}
	r, err = Resolve(Selection{Host: "tcp://h:2376", Environ: []string{"DOCKER_CERT_PATH=" + certs}})
	if err != nil || r.TLS == nil || !r.SkipTLSVerify {
		t.Errorf("DOCKER_CERT_PATH alone: want TLS without verification, got %+v, %v", r, err)
	}
	r, err = Resolve(Selection{Host: "tcp://h:2375", Environ: nil})
	if err != nil || r.TLS != nil || r.SkipTLSVerify {
		t.Errorf("no TLS variables: want plain, got %+v, %v", r, err)
	}
}

func TestResolveContextTLS(t *testing.T) {
	dir := t.TempDir()
	writeContext(t, dir, "secure", "tcp://h:2376", &store.EndpointTLSData{Files: map[string][]byte{"ca.pem": []byte("CA")}})
	r, err := Resolve(Selection{Context: "secure", Environ: []string{"DOCKER_CONFIG=" + dir}})
	if err != nil {
		t.Fatal(err)
	}
	if r.TLS == nil || string(r.TLS.CA) != "CA" || !r.SkipTLSVerify {
		t.Errorf("context TLS not loaded: %+v", r)
	}
}

func TestOpenNamesEndpoint(t *testing.T) {
	dir := contextFixture(t)
	e, err := Open(Selection{Environ: []string{"DOCKER_CONFIG=" + dir}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Endpoint() != "ssh://me@build-box" {
		t.Errorf("Endpoint() = %q, want the ssh URL", e.Endpoint())
	}
	if want := `docker context "current", from currentContext in ` + filepath.Join(dir, "config.json"); e.Source() != want {
		t.Errorf("Source() = %q, want %q", e.Source(), want)
	}
	_, err = Open(Selection{Host: "not-a-url", Environ: nil})
	if err == nil || !strings.Contains(err.Error(), "not-a-url (from --host)") {
		t.Errorf("bad host: error %v does not name it", err)
	}
}

func TestContextNames(t *testing.T) {
	names, err := ContextNames([]string{"DOCKER_CONFIG=" + contextFixture(t)})
	if err != nil || strings.Join(names, ",") != "default,current,envctx,flagctx" {
		t.Errorf("ContextNames = %v, %v", names, err)
	}
	names, err = ContextNames([]string{"DOCKER_CONFIG=" + t.TempDir()})
	if err != nil || strings.Join(names, ",") != "default" {
		t.Errorf("empty store: ContextNames = %v, %v", names, err)
	}
}
