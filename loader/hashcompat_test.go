package loader

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// composeService loads dir (an inlineDir) and returns compose-go's model of
// one service, the input of the hash recipes.
func composeService(t *testing.T, dir, name string, profiles ...string) types.ServiceConfig {
	t.Helper()
	l, err := load(t.Context(), Options{WorkDir: dir, Environ: []string{}, Profiles: profiles})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := l.compose.Services[name]
	if !ok {
		t.Fatalf("no service %q", name)
	}
	return s
}

// releaseJSON returns the JSON alternatives release version hashes for s.
func releaseJSON(t *testing.T, version string, s types.ServiceConfig) []string {
	t.Helper()
	base, err := ServiceConfigJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ComposeReleases {
		if r.Version != version {
			continue
		}
		js, err := r.serviceJSON(base, s)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, j := range js {
			out = append(out, string(j))
		}
		return out
	}
	t.Fatalf("no release %s", version)
	return nil
}

// goldenProject uses every recipe that needs no host path: a depends_on
// with restart, a profile, a network attachment with aliases and priority,
// a secret with a mode.
const goldenProject = `
services:
  web:
    image: mycompose-test/busybox:latest
    command: ["sh", "-c", "sleep 3600"]
    environment: {A: "1"}
    depends_on:
      db: {condition: service_started, restart: true}
    networks:
      front: {aliases: [www], priority: 10}
      back: {}
    secrets:
      - source: token
        mode: 0400
    profiles: [web]
  db:
    image: mycompose-test/busybox:latest
    command: ["sh", "-c", "sleep 3600"]
    networks: [back]
networks:
  front: {}
  back: {}
secrets:
  token: {file: ./token.txt}
`

// TestReleaseHashesMatchRealCompose pins the hashes real Docker Compose
// binaries stamped on the containers of goldenProject (`docker-compose
// --profile web create`; v2.26.1 is Debian 13's 2.26.1-4, built with
// compose-go v2.4.8; v2.40.3 and v5.6.0 built from their Go modules).
func TestReleaseHashesMatchRealCompose(t *testing.T) {
	dir := inlineDir(t, goldenProject, map[string]string{"token.txt": "s3cret\n"})
	want := map[string]map[string]string{
		"web": {
			"v5.6.0":  "d2b2407eff9c8dadf1f31ae0570568933d37423ff9fabefaf490aace0584eb51",
			"v2.40.3": "d2b2407eff9c8dadf1f31ae0570568933d37423ff9fabefaf490aace0584eb51",
			"v2.26.1": "17ed5fe6eb2274d27fc9fc9c6f48f8079625689072a4a669a7282228e8083591",
		},
		"db": {
			"v5.6.0":  "3c2fc61a07de8173c35f968c7c4ecbcc3785db297c66c1e89b6cea572b531849",
			"v2.40.3": "3c2fc61a07de8173c35f968c7c4ecbcc3785db297c66c1e89b6cea572b531849",
			"v2.26.1": "3c2fc61a07de8173c35f968c7c4ecbcc3785db297c66c1e89b6cea572b531849",
		},
	}
	for name, byVersion := range want {
		s := composeService(t, dir, name, "web")
		got, err := ReleaseHashes(s)
		if err != nil {
			t.Fatal(err)
		}
		for v, h := range byVersion {
			if !slices.Contains(got[v], h) {
				t.Errorf("%s: Docker Compose %s stamped %s, not among %v", name, v, h, got[v])
			}
		}
		if h, _ := ServiceHash(s); h != byVersion["v5.6.0"] {
			t.Errorf("%s: ServiceHash %s, want Docker Compose v5.6.0's %s", name, h, byVersion["v5.6.0"])
		}
		accepted, err := AcceptedHashes(s)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(accepted) || !slices.Contains(accepted, byVersion["v2.26.1"]) {
			t.Errorf("%s: AcceptedHashes %v", name, accepted)
		}
	}
	p, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{}, Profiles: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	web := mustService(t, p, "web")
	if !web.HashUpToDate(want["web"]["v2.26.1"]) || web.HashUpToDate(want["db"]["v5.6.0"]) {
		t.Errorf("project.Service.HashUpToDate: accepted %v", web.AcceptedHashes)
	}
}

// TestRecipeBindCreateHostPath: compose-go < v2.14 wrote create_host_path
// only when true; v2.14+ writes it only when false.
func TestRecipeBindCreateHostPath(t *testing.T) {
	dir := inlineDir(t, `
services:
  web:
    image: busybox
    volumes:
      - ./short:/short
      - {type: bind, source: ./block, target: /block, bind: {propagation: rslave}}
      - {type: bind, source: ./nocreate, target: /nocreate, bind: {create_host_path: false}}
      - {type: bind, source: ./plain, target: /plain}
`, nil)
	s := composeService(t, dir, "web")
	vol := func(name, bind string) string {
		v := `{"type":"bind","source":"` + dir + `/` + name + `","target":"/` + name + `"`
		if bind != "" {
			v += `,"bind":` + bind
		}
		return v + `}`
	}
	doc := func(short, block string) string {
		return `{"command":null,"entrypoint":null,"image":"busybox","networks":{"default":null},"volumes":[` +
			vol("short", short) + `,` + vol("block", block) + `,` +
			vol("nocreate", `{}`) + `,` + vol("plain", "") + `]}`
	}
	current, _ := ServiceConfigJSON(s)
	wantCurrent := `{"command":null,"entrypoint":null,"image":"busybox","networks":{"default":null},"volumes":[` +
		vol("short", `{}`) + `,` + vol("block", `{"propagation":"rslave"}`) + `,` +
		vol("nocreate", `{"create_host_path":false}`) + `,` + vol("plain", "") + `]}`
	if string(current) != wantCurrent {
		t.Errorf("v5.6 JSON\n got %s\nwant %s", current, wantCurrent)
	}
	// Each bind block without the key may have been either (see the
	// recipe): a short-syntax bind cannot be told from `bind: {}`.
	got := releaseJSON(t, "v2.40.3", s)
	want := []string{
		doc(`{"create_host_path":true}`, `{"propagation":"rslave","create_host_path":true}`),
		doc(`{"create_host_path":true}`, `{"propagation":"rslave"}`),
		doc(`{}`, `{"propagation":"rslave","create_host_path":true}`),
		doc(`{}`, `{"propagation":"rslave"}`),
	}
	// The one written under MYCOMPOSE_HASH_VERSION comes first: the empty
	// block as short syntax, the block that sets propagation as long.
	if len(got) > 0 && got[0] != want[1] {
		t.Errorf("first alternative %s, want %s", got[0], want[1])
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("v2.40.3 JSON\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestRecipesOfV226(t *testing.T) {
	dir := inlineDir(t, strings.Replace(goldenProject, "  db:\n", `  extra:
    image: busybox
    label_file: ./extra.labels
    configs:
      - source: conf
        mode: 0440
  db:
`, 1)+`
configs:
  conf: {file: ./token.txt}
`, map[string]string{"token.txt": "x\n", "extra.labels": "a=b\n"})
	web := composeService(t, dir, "web", "web")
	if got := releaseJSON(t, "v2.26.1", web); len(got) != 1 || got[0] != `{"profiles":["web"],"command":["sh","-c","sleep 3600"],`+
		`"depends_on":{"db":{"condition":"service_started","restart":true,"required":true}},"entrypoint":null,"environment":{"A":"1"},`+
		`"image":"mycompose-test/busybox:latest","networks":{"back":{},"front":{"priority":10,"aliases":["www"]}},`+
		`"secrets":[{"source":"token","target":"/run/secrets/token","mode":256}]}` {
		t.Errorf("v2.26.1 JSON of web: %s", got)
	}
	extra := composeService(t, dir, "extra")
	current, _ := ServiceConfigJSON(extra)
	if !strings.Contains(string(current), `"label_file":["`+dir+`/extra.labels"]`) || !strings.Contains(string(current), `"mode":"0440"`) {
		t.Errorf("v5.6 JSON of extra: %s", current)
	}
	if got := releaseJSON(t, "v2.26.1", extra); len(got) != 1 || got[0] != `{"command":null,"configs":[{"source":"conf","mode":288}],`+
		`"entrypoint":null,"image":"busybox","labels":{"a":"b"},"networks":{"default":null}}` {
		t.Errorf("v2.26.1 JSON of extra: %s", got)
	}
}

// TestRecipeVariantsBounded: many long-syntax bind blocks do not multiply
// the accepted hashes without bound.
func TestRecipeVariantsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n  web:\n    image: busybox\n    volumes:\n")
	for _, d := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		b.WriteString("      - {type: bind, source: ./" + d + ", target: /" + d + ", bind: {propagation: rslave}}\n")
	}
	s := composeService(t, inlineDir(t, b.String(), nil), "web")
	if got := releaseJSON(t, "v2.40.3", s); len(got) != 2 {
		t.Errorf("%d alternatives, want the 2 uniform ones", len(got))
	}
}

// TestHashVersionWritesAnOlderReleasesHash: MYCOMPOSE_HASH_VERSION makes
// mycompose stamp the hash an older Compose computes, so that Compose sees
// mycompose's containers as up to date too.
func TestHashVersionWritesAnOlderReleasesHash(t *testing.T) {
	dir := inlineDir(t, goldenProject, map[string]string{"token.txt": "s3cret\n"})
	for env, want := range map[string]string{
		"":        "d2b2407eff9c8dadf1f31ae0570568933d37423ff9fabefaf490aace0584eb51",
		"2.26.1":  "17ed5fe6eb2274d27fc9fc9c6f48f8079625689072a4a669a7282228e8083591",
		"v2.26.1": "17ed5fe6eb2274d27fc9fc9c6f48f8079625689072a4a669a7282228e8083591",
	} {
		p, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{EnvHashVersion + "=" + env}, Profiles: []string{"web"}})
		if err != nil {
			t.Fatal(err)
		}
		if h := mustService(t, p, "web").ConfigHash; h != want {
			t.Errorf("%s=%q: hash %s, want %s", EnvHashVersion, env, h, want)
		}
	}
	_, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{EnvHashVersion + "=1.29.2"}})
	if !errors.Is(err, ErrUnknownComposeRelease) || !strings.Contains(err.Error(), "v5.6.0, v2.40.3, v2.26.1") {
		t.Errorf("unknown release: %v", err)
	}
}
