package loader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

// TestRefusedServiceKeys checks that every key mycompose does not implement
// is an error naming the service and the key, never silently ignored.
func TestRefusedServiceKeys(t *testing.T) {
	cases := []struct{ key, yaml, want string }{
		{"credential_spec", "credential_spec: {file: x.json}", "cannot be used: Windows only"},
		{"pre_start[0].credential_spec", "pre_start: [{command: [x], credential_spec: {file: x.json}}]", "cannot be used: Windows only"},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			yaml := "services:\n  web:\n    image: busybox\n    " + c.yaml + `
  other:
    image: busybox
volumes: {v: {}}
secrets: {s: {file: ./compose.yaml}}
configs: {c: {file: ./compose.yaml}}
models: {m: {model: ai/x}}
`
			loadErr(t, yaml, `service "web": key "`+c.key+`" `+c.want)
		})
	}
}

func TestRefusalNamesFileAndLine(t *testing.T) {
	err := loadErr(t, `
services:
  web:
    image: busybox
    credential_spec: {file: x.json}
`)
	if want := `compose.yaml:5: service "web": key "credential_spec" cannot be used: Windows only`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want prefix %q", err, want)
	}
}

func TestRefusalLineInOverrideFile(t *testing.T) {
	dir := inlineDir(t, "services:\n  web:\n    image: busybox\n", map[string]string{
		"compose.override.yaml": "services:\n  web:\n    init: true\n    credential_spec: {file: x.json}\n",
	})
	_, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{}})
	if err == nil || !strings.HasPrefix(err.Error(), `compose.override.yaml:4: service "web": key "credential_spec"`) {
		t.Fatalf("err %v", err)
	}
}

func TestAllRefusalsReportedTogether(t *testing.T) {
	err := loadErr(t, `
services:
  web:
    image: busybox
    credential_spec: {file: x.json}
    volumes: [{type: npipe, source: //./pipe/x, target: //./pipe/x}]
  db:
    image: busybox
    credential_spec: {registry: r}
`, `service "web": key "credential_spec"`, `volume type "npipe"`, `service "db": key "credential_spec"`)
	if n := strings.Count(err.Error(), "\n") + 1; n != 3 {
		t.Errorf("%d lines, want 3: %q", n, err)
	}
}

func TestDisabledServicesAreNotChecked(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web:
    image: busybox
  later:
    image: busybox
    runtime: runc
    profiles: [someday]
`)
	if len(p.Services) != 1 || p.DisabledServices[0] != "later" {
		t.Errorf("services %v disabled %v", p.ServiceNames(), p.DisabledServices)
	}
}

func TestRefusedValues(t *testing.T) {
	cases := []struct{ desc, yaml, want string }{
		{"volume type npipe", "volumes: [{type: npipe, source: //./pipe/x, target: //./pipe/x}]", `volume type "npipe" is not supported`},
		{"volume type cluster", "volumes: [{type: cluster, source: c, target: /c}]", `volume type "cluster" is not supported`},
		{"ipc service:", "ipc: service:other", `ipc "service:other" is not supported by mycompose yet`},
		{"pid service:", "pid: service:other", `pid "service:other" is not supported by mycompose yet`},
		{"network_mode name", "network_mode: mynet", `network_mode "mynet" is not supported by mycompose yet`},
		{"tmpfs option", "tmpfs: ['/run:noexec']", `tmpfs "/run:noexec": option "noexec" is not supported`},
		{"restart", "restart: sometimes", `invalid restart policy "sometimes"`},
		{"restart retries", "restart: on-failure:x", `invalid restart policy "on-failure:x"`},
		{"expose", "expose: ['80-70']", `invalid expose "80-70"`},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			loadErr(t, "services:\n  web:\n    image: busybox\n    "+c.yaml+"\n  other:\n    image: busybox\n", `service "web": `+c.want)
		})
	}
}

// TestNetworkAPIGatedKeys: enable_ipv4: false, gw_priority and
// interface_name are mapped and marked with the engine API they need;
// enable_ipv4: true is what every engine does and needs nothing.
func TestNetworkAPIGatedKeys(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web:
    image: busybox
    annotations: {com.example.a: b}
    networks:
      default: {gw_priority: 5, interface_name: eth7}
      v4: {}
networks:
  default:
    enable_ipv4: false
    ipam: {options: {foo: bar}}
  v4:
    enable_ipv4: true
`)
	web := p.Services[0]
	var got []string
	for _, r := range web.Requires {
		got = append(got, r.Key+"@"+r.API)
	}
	want := "annotations@1.43 networks.default.gw_priority@1.48 networks.default.interface_name@1.49 networks.default.enable_ipv4@1.48"
	if strings.Join(got, " ") != want {
		t.Errorf("requires %v, want %s", got, want)
	}
	if a := web.Networks[0]; a.GwPriority != 5 || a.InterfaceName != "eth7" {
		t.Errorf("attachment %+v", a)
	}
	n, _ := p.Network("default")
	if n.EnableIPv4 == nil || *n.EnableIPv4 || n.IPAM.Options["foo"] != "bar" {
		t.Errorf("network %+v", n)
	}
}

func TestComposeGoErrors(t *testing.T) {
	cases := []struct {
		desc, yaml string
		want       []string
	}{
		{"unknown key", "services:\n  web:\n    image: busybox\n    colour: red\n",
			[]string{`compose.yaml:4: services.web: unknown key "colour"`}},
		{"wrong type", "services:\n  web:\n    image: busybox\n    ports: 80\n",
			[]string{"compose.yaml:4: services.web.ports must be a list"}},
		{"yaml syntax", "services:\n  web:\n   image: busybox\n  - x\n", []string{"compose.yaml:4: invalid YAML: "}},
		{"no image", "services:\n  web:\n    command: [x]\n",
			[]string{`compose.yaml:2: service "web" has no image: set image:`}},
		{"depends_on cycle", "services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n",
			[]string{"compose.yaml:2: dependency cycle detected: a -> b -> a"}},
		{"unknown dependency", "services:\n  web: {image: busybox, depends_on: [ghost]}\n",
			[]string{`compose.yaml:2: service "web" depends on undefined service "ghost"`}},
		{"unknown network_mode service", "services:\n  web: {image: busybox, network_mode: 'service:ghost'}\n",
			[]string{`compose.yaml:2: service "web": network_mode "service:ghost" refers to undefined service "ghost"`}},
		{"undefined volume", "services:\n  web: {image: busybox, volumes: ['data:/data']}\n",
			[]string{`compose.yaml:2: service "web" refers to undefined volume "data": declare it under the top-level volumes: key`}},
		{"bad service name", "services:\n  _web: {image: busybox}\n", []string{`invalid service name "_web"`}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			loadErr(t, c.yaml, c.want...)
		})
	}
}

func TestRequiredDependencyOnDisabledService(t *testing.T) {
	loadErr(t, `
services:
  web: {image: busybox, depends_on: [db]}
  db: {image: busybox, profiles: [db]}
`, `compose.yaml:3: service "web" depends on service "db", which its profiles disable: enable one of them with --profile`)
}

func TestRecoverPanic(t *testing.T) {
	err := func() (err error) {
		defer recoverPanic(&err)
		panic("boom")
	}()
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err %v", err)
	}
}

func TestComposeErrorUnwraps(t *testing.T) {
	inner := errors.New("inner")
	s := &session{cwd: "/"}
	if err := s.wrapComposeError(inner, []string{"/x/compose.yaml"}, nil); !errors.Is(err, inner) {
		t.Errorf("%v does not wrap inner", err)
	}
}

// TestPullRefreshAfter: pull_policy: refresh with pull_refresh_after pulls
// again once the image is that old; without refresh it is refused.
func TestPullRefreshAfter(t *testing.T) {
	p := mustLoadInline(t, "services:\n  web:\n    image: busybox\n    pull_policy: refresh\n    pull_refresh_after: 1d2h\n")
	if got := p.Services[0].PullPolicy; got != "every_93600s" {
		t.Errorf("pull policy %q, want every_93600s", got)
	}
	loadErr(t, "services:\n  web:\n    image: busybox\n    pull_refresh_after: 1h\n",
		`compose.yaml:4: service "web": pull_refresh_after is only used with pull_policy: refresh`)
	loadErr(t, "services:\n  web:\n    image: busybox\n    pull_policy: refresh\n    pull_refresh_after: soon\n",
		`compose.yaml:5: service "web": pull_refresh_after "soon" is not a duration`)
}

func TestSecretsAndConfigsMapToFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), []byte("from-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := `
services:
  web:
    image: busybox
    secrets:
      - source: s
        uid: "7"
        gid: "8"
        mode: 0400
      - source: e
        target: custom
    configs:
      - c
secrets:
  s: {file: ./s.txt}
  e: {environment: TOKEN}
configs:
  c: {content: "k=v"}
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{"TOKEN=from-env"}, ReadFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	files := p.Services[0].Container.Files
	want := []project.ContainerFile{
		{Kind: "secret", Name: "s", Path: "/run/secrets/s", Content: []byte("from-file"), UID: 7, GID: 8, Mode: 0o400},
		{Kind: "secret", Name: "e", Path: "/run/secrets/custom", Content: []byte("from-env"), Mode: 0o444},
		{Kind: "config", Name: "c", Path: "/c", Content: []byte("k=v"), Mode: 0o444},
	}
	if len(files) != len(want) {
		t.Fatalf("files = %+v", files)
	}
	for i := range want {
		if fmt.Sprintf("%+v", files[i]) != fmt.Sprintf("%+v", want[i]) {
			t.Errorf("file %d = %+v, want %+v", i, files[i], want[i])
		}
	}
}

// TestBuildSecretOwnerWarns: uid, gid and mode of a build secret are
// accepted, as in Docker Compose, with a warning saying where they belong.
func TestBuildSecretOwnerWarns(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web:
    build:
      context: .
      secrets:
        - source: token
          uid: "1000"
          mode: 0400
secrets:
  token: {environment: HOME}
`)
	want := `service "web": build.secrets[0] (token): uid, gid and mode have no effect on a build secret: set them on the Dockerfile's RUN --mount=type=secret,id=token,uid=...,gid=...,mode=...`
	if len(p.Warnings) != 1 || p.Warnings[0] != want {
		t.Errorf("warnings %q, want %q", p.Warnings, want)
	}
}

// TestFutureKeyRefused: a key the allow-lists do not know (one a future
// compose-go may bring) is refused as not supported yet, never ignored.
func TestFutureKeyRefused(t *testing.T) {
	paths, err := unsupported(map[string]any{"image": "busybox", "teleport": map[string]any{"to": "mars"}}, serviceSpec)
	if err != nil || len(paths) != 1 || keyPath(paths[0]) != "teleport" {
		t.Fatalf("unsupported = %v, %v", paths, err)
	}
	if got := keyRefusal(`service "web"`, "services", paths[0]); got != `service "web": key "teleport" is not supported by mycompose yet` {
		t.Errorf("refusal %q", got)
	}
}
