package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The Docker Compose releases the interop tests run against, as
// scripts/compose-peers.sh installs them.
var peerVersions = []string{"2.26.1", "5.6.0"}

// peersDir is where scripts/compose-peers.sh caches the binaries:
// $MYCOMPOSE_PEERS_DIR, else /var/cache/mycompose/peers for root, else
// ${XDG_CACHE_HOME:-~/.cache}/mycompose/peers.
func peersDir() string {
	if d := os.Getenv("MYCOMPOSE_PEERS_DIR"); d != "" {
		return d
	}
	if os.Getuid() == 0 {
		return "/var/cache/mycompose/peers"
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "mycompose", "peers")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "mycompose", "peers")
}

// peerCompose returns the path of Docker Compose version's binary. A
// missing binary fails the test in CI and skips it elsewhere, naming the
// command that installs it.
func peerCompose(t *testing.T, version string) string {
	t.Helper()
	bin := filepath.Join(peersDir(), version, "docker-compose")
	if out, err := exec.Command(bin, "version", "--short").Output(); err == nil && strings.Contains(string(out), version) {
		return bin
	}
	msg := "Docker Compose " + version + " is not installed at " + bin + ": run scripts/compose-peers.sh (as root for the Debian package)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// peer runs one Docker Compose binary on a harness's project.
type peer struct {
	t       *testing.T
	bin     string
	version string
}

func (p peer) run(h *harness, args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.bin, append([]string{"-p", h.project}, args...)...)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), h.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("docker compose %s %v: %v\n%s", p.version, args, err, out)
	}
	return string(out)
}

// ids returns container name -> ID for the project.
func ids(h *harness) map[string]string {
	out := map[string]string{}
	for n, c := range h.containers() {
		out[n] = c.ID
	}
	return out
}

// sameIDs fails when a container was recreated, added or removed.
func sameIDs(t *testing.T, who string, before, after map[string]string) {
	t.Helper()
	for n, id := range before {
		if after[n] != id {
			t.Errorf("%s recreated or removed %s (%.12s -> %.12s)", who, n, id, after[n])
		}
	}
	for n := range after {
		if _, ok := before[n]; !ok {
			t.Errorf("%s created %s", who, n)
		}
	}
}

// noDuplicates fails when two containers of the project claim the same
// service replica.
func noDuplicates(t *testing.T, h *harness) {
	t.Helper()
	seen := map[string]string{}
	for n, c := range h.containers() {
		key := c.Labels["com.docker.compose.service"] + "#" + c.Labels["com.docker.compose.container-number"]
		if other, ok := seen[key]; ok {
			t.Errorf("duplicate replica %s: %s and %s", key, other, n)
		}
		seen[key] = n
	}
}

func psNames(out string) []string {
	names := strings.Fields(out)
	sort.Strings(names)
	return names
}

// TestInteropWithDockerCompose runs the round trip against every peer:
// a project brought up by Docker Compose is a no-op up for mycompose
// (container IDs unchanged), listed by its ls and ps, scaled and removed by
// it; a project brought up by mycompose is a no-op `up -d` for Docker
// Compose, listed by its ps, scaled and removed by it.
//
// MYCOMPOSE_EXTRA_PEERS=2.40.3 adds releases built by hand with
// `scripts/compose-peers.sh module 2.40.3`.
func TestInteropWithDockerCompose(t *testing.T) {
	versions := peerVersions
	for _, v := range strings.Split(os.Getenv("MYCOMPOSE_EXTRA_PEERS"), ",") {
		if v = strings.TrimSpace(v); v != "" {
			versions = append(versions, v)
		}
	}
	for _, v := range versions {
		t.Run("v"+v, func(t *testing.T) {
			bin := peerCompose(t, v)
			t.Run("theirs", func(t *testing.T) { interopTheirs(t, peer{t, bin, v}) })
			t.Run("ours", func(t *testing.T) { interopOurs(t, peer{t, bin, v}) })
		})
	}
}

var interopReplicas = []string{"db-1 running", "web-1 running", "web-2 running"}

// interopTheirs: Docker Compose up, then mycompose.
func interopTheirs(t *testing.T, dc peer) {
	h := newHarness(t, "interop")
	dc.run(h, "up", "-d", "--wait")
	before := ids(h)
	h.want(interopReplicas...)

	if r := h.ok("--dry-run", "up", "-d"); strings.TrimSpace(r.stdout) != "" {
		t.Errorf("mycompose would change a project Docker Compose %s brought up:\n%s", dc.version, r.stdout)
	}
	h.ok("up", "-d", "--wait")
	h.want(interopReplicas...)
	sameIDs(t, "mycompose up", before, ids(h))
	noDuplicates(t, h)

	if r := h.ok("ps", "-q"); len(strings.Fields(r.stdout)) != 3 {
		t.Errorf("mycompose ps on Docker Compose %s's project: %q", dc.version, r.stdout)
	}
	if r := h.runIn(h.dir, "ls", "-a"); !strings.Contains(r.stdout, h.project) {
		t.Errorf("mycompose ls does not list Docker Compose %s's project:\n%s", dc.version, r.stdout)
	}

	h.ok("up", "-d", "--scale", "web=3")
	h.want("db-1 running", "web-1 running", "web-2 running", "web-3 running")
	after := ids(h)
	for _, n := range []string{"db-1", "web-1", "web-2"} {
		if after[h.project+"-"+n] != before[h.project+"-"+n] {
			t.Errorf("mycompose scale recreated %s", n)
		}
	}
	noDuplicates(t, h)

	// A mixed project converges without recreating what is right: change
	// web only; Docker Compose's db keeps its container.
	file := filepath.Join(h.dir, "compose.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(data), "GREETING: hello", "GREETING: changed", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	h.ok("up", "-d", "--wait", "--scale", "web=3")
	h.want("db-1 running", "web-1 running", "web-2 running", "web-3 running")
	changed := ids(h)
	if changed[h.project+"-db-1"] != before[h.project+"-db-1"] {
		t.Errorf("mycompose recreated db-1, which did not change")
	}
	for _, n := range []string{"web-1", "web-2", "web-3"} {
		if changed[h.project+"-"+n] == after[h.project+"-"+n] {
			t.Errorf("mycompose did not recreate %s after its environment changed", n)
		}
	}
	noDuplicates(t, h)

	h.ok("down", "-v")
	h.want()
	if n := h.networks(); len(n) != 0 {
		t.Errorf("networks after mycompose down: %v", n)
	}
	if v := h.volumes(); len(v) != 0 {
		t.Errorf("volumes after mycompose down -v: %v", v)
	}
}

// interopOurs: mycompose up, then Docker Compose. Compose v2.26 computes
// its own, older hash: mycompose writes it when asked to
// (MYCOMPOSE_HASH_VERSION), as a user who keeps Debian's docker-compose
// would set it.
func interopOurs(t *testing.T, dc peer) {
	h := newHarness(t, "interop")
	if dc.version != "5.6.0" {
		h.env = append(h.env, "MYCOMPOSE_HASH_VERSION="+dc.version)
	}
	h.ok("up", "-d", "--wait")
	before := h.want(interopReplicas...)
	beforeIDs := ids(h)

	out := dc.run(h, "up", "-d", "--wait")
	h.want(interopReplicas...)
	sameIDs(t, "docker compose "+dc.version+" up -d", beforeIDs, ids(h))
	noDuplicates(t, h)
	if t.Failed() {
		t.Logf("docker compose up -d output:\n%s", out)
		for n, c := range before {
			t.Logf("%s hash %s", n, c.Labels["com.docker.compose.config-hash"])
		}
		t.Logf("docker compose config --hash:\n%s", dc.run(h, "config", "--hash", "*"))
	}

	want := make([]string, 0, len(beforeIDs))
	for n := range beforeIDs {
		want = append(want, n)
	}
	sort.Strings(want)
	if got := psNames(dc.run(h, "ps", "--format", "{{.Name}}")); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("docker compose %s ps on mycompose's project: %v, want %v", dc.version, got, want)
	}

	dc.run(h, "up", "-d", "--scale", "web=3")
	h.want("db-1 running", "web-1 running", "web-2 running", "web-3 running")
	after := ids(h)
	for _, n := range want {
		if after[n] != beforeIDs[n] {
			t.Errorf("docker compose %s scale recreated %s", dc.version, n)
		}
	}
	noDuplicates(t, h)

	dc.run(h, "down", "-v")
	h.want()
	if n := h.networks(); len(n) != 0 {
		t.Errorf("networks after docker compose down: %v", n)
	}
	if v := h.volumes(); len(v) != 0 {
		t.Errorf("volumes after docker compose down -v: %v", v)
	}
}

// TestConfigHashMatchesDockerCompose: on every directory of testdata/ with a
// compose file that both tools accept, `mycompose config --hash '*'` prints
// exactly what Docker Compose v5.6's does (the hash mycompose writes).
func TestConfigHashMatchesDockerCompose(t *testing.T) {
	bin := peerCompose(t, "5.6.0")
	root, err := filepath.Abs(filepath.Join("..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch d.Name() {
		case "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml":
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dirs = uniqueSorted(dirs)
	// Neither tool may read the caller's project settings.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMPOSE_") && !strings.HasPrefix(kv, "MYCOMPOSE_") {
			env = append(env, kv)
		}
	}
	hashes := func(name string, dir string) (string, bool) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, "-p", "hashcheck", "config", "--hash", "*")
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.Output()
		return string(out), err == nil
	}
	compared, refused := 0, 0
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		// mycompose first: Docker Compose is only asked about what
		// mycompose accepts. It follows YAML aliases without bound and
		// grows past 8 GB on testdata/invalid/yaml-alias-bomb, which
		// mycompose refuses.
		ours, weAccept := hashes(binary, dir)
		if !weAccept {
			refused++ // the invalid corpus, or a key mycompose refuses
			continue
		}
		theirs, theyAccept := hashes(bin, dir)
		if !theyAccept {
			t.Logf("%s: accepted by mycompose, refused by Docker Compose v5.6.0", rel)
			continue
		}
		compared++
		if ours != theirs {
			t.Errorf("%s: config --hash differs\nmycompose:\n%sDocker Compose v5.6.0:\n%s", rel, ours, theirs)
		}
	}
	t.Logf("%d fixture directories: %d compared, %d refused by mycompose", len(dirs), compared, refused)
	if compared < 25 {
		t.Errorf("only %d fixtures compared: the walk or a tool is broken", compared)
	}
}

func uniqueSorted(l []string) []string {
	sort.Strings(l)
	out := l[:0]
	for i, s := range l {
		if i == 0 || s != l[i-1] {
			out = append(out, s)
		}
	}
	return out
}
