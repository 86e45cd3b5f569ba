package main

// The second engine: Docker 26.1 (API 1.45) of Debian 13 "trixie", run as
// one standalone node of the lab (scripts/swarm-lab.sh engine).
//
// TestSecondEngine re-runs this test binary with DOCKER_HOST pointing at
// the node, on the named subset secondEngineTests, which covers every
// command. Every assertion goes to the node: mycompose inherits
// DOCKER_HOST, and the harness reads engine state through the docker CLI,
// which follows it too.
//
// Left out of the subset, and why:
//   - bind mounts name paths of the machine mycompose runs on, and the
//     node's dockerd resolves them in its own filesystem: no test of the
//     subset bind-mounts anything (a test that does must stay out, or
//     mount a path it created on the node with docker exec).
//     TestSpecKeysHostConfig bind-mounts ./site and ./data and throttles a
//     block device of the host, which the node does not have either.
//   - tests that reach published ports from the host: the node has its
//     own network namespace (TestPortHeldByAnotherProject listens on the
//     host's 127.0.0.1).
//   - pull and push (images_registry_test.go): the registry they start
//     listens on the host's loopback, which the node cannot reach.
//   - engine selection (TestContexts, TestDockerPlugin,
//     TestEngineUnreachable): they choose engines themselves.
//   - TestInvalid and TestBadInput: refused before the engine is asked,
//     the same on every engine; the API-gated refusals run here through
//     TestEngineAPIGatedKeys.
//   - the fault tests of reliability_test.go, the progress views, the
//     remaining variants of up attached and of health, and the Compose
//     interop: left out to keep the run short (about 5 minutes). The
//     Swarm lab has its own engines.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/internal/dockercli"
)

// secondEngineTests is the subset run against the second engine: every
// command (up attached and detached, down, ps, ls, config, create, start,
// stop, restart, kill, rm, pause, unpause, port, top, images, exec, cp,
// wait, events, logs, run, scale, build, attach, export, commit, stats,
// volumes, completion, graph) and the API-gated keys. version only prints.
var secondEngineTests = []string{
	"TestCoreLifecycle", "TestDownWithoutComposeFile", "TestOrphans", "TestDryRunChangesNothing", "TestPsAndConfig",
	"TestStopStartRestartOrder", "TestKillRmPause", "TestCreateLsPortTopImages", "TestExecAndCp", "TestWaitAndEvents",
	"TestLogsOptions", "TestLogsFollowPicksUpScaleUp", "TestRunOneOff", "TestRunStdinAndOptions",
	"TestHealthyChainWithWait", "TestStartWait", "TestUpAttachedExitCodeFrom", "TestBuildFromLocalDockerfile",
	"TestSecretsAndConfigs", "TestVolumeDataSurvives", "TestNetworkChangedUnderRunningContainers",
	"TestAttachCommand", "TestExportAndCommit", "TestStatsCommand", "TestVolumesCommand", "TestConfigFlags",
	"TestCompletionAndGraph", "TestSpecKeysDeviceRequests",
	"TestEngineAPIGatedKeys", "TestNetworksAtCreate", "TestAnnotations",
}

const (
	engineNodeImage = "mycompose-test/engine-node:trixie"
	// secondEngineEnv marks the re-run, so that it does not recurse.
	secondEngineEnv = "MYCOMPOSE_SECOND_ENGINE"
)

func TestSecondEngine(t *testing.T) {
	if os.Getenv(secondEngineEnv) != "" {
		t.Skip("already running against the second engine")
	}
	if exec.Command("docker", "image", "inspect", engineNodeImage).Run() != nil {
		// CI builds the image first (make test: engine-node), so there a
		// missing image is a failure.
		if os.Getenv("CI") != "" {
			t.Fatalf("no %s image: make test builds it with scripts/swarm-lab.sh engine image", engineNodeImage)
		}
		t.Skipf("no %s image: run scripts/swarm-lab.sh engine image (make test does)", engineNodeImage)
	}
	lab := os.Getenv("MYCOMPOSE_ENGINE_LAB")
	if lab == "" {
		lab = "mcengine26"
	}
	// Use the node if it is up; else start it, and remove it afterwards.
	host := labHost(lab)
	if host == "" {
		t.Cleanup(func() {
			if out, err := exec.Command(swarmLab, "engine", "down", lab).CombinedOutput(); err != nil {
				t.Logf("engine down: %v: %s", err, out)
			}
		})
		if out, err := exec.Command(swarmLab, "engine", "up", lab).CombinedOutput(); err != nil {
			t.Fatalf("engine up: %v\n%s", err, out)
		}
		if host = labHost(lab); host == "" {
			t.Fatal("the engine node is up but does not answer")
		}
	} else if out, err := exec.Command(swarmLab, "engine", "load", lab, testImage, "mycompose-test/busybox:alt").CombinedOutput(); err != nil {
		t.Fatalf("load the test images into the node: %v\n%s", err, out)
	}
	version, err := exec.Command("docker", "-H", host, "version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second engine at %s: Docker %s", host, strings.TrimSpace(string(version)))
	if !strings.HasPrefix(string(version), "26.") {
		t.Fatalf("the node runs Docker %s, want 26.x", version)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 16*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^("+strings.Join(secondEngineTests, "|")+")$",
		"-test.count=1", "-test.v", "-test.timeout=15m")
	var env []string
	for _, kv := range os.Environ() {
		// The node is chosen by DOCKER_HOST alone.
		if !strings.HasPrefix(kv, "DOCKER_CONTEXT=") && !strings.HasPrefix(kv, "DOCKER_API_VERSION=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "DOCKER_HOST="+host, secondEngineEnv+"=1")
	out, err := cmd.CombinedOutput()
	// The verdicts of the subset's tests, whatever happened.
	passed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^--- (PASS|FAIL|SKIP): (Test\w+)`).FindAllStringSubmatch(string(out), -1) {
		t.Logf("second engine: %s %s", m[1], m[2])
		if m[1] == "PASS" {
			passed[m[2]] = true
		}
	}
	if err != nil {
		t.Fatalf("the subset failed against Docker %s: %v\n%s", strings.TrimSpace(string(version)), err, out)
	}
	var missing []string
	for _, name := range secondEngineTests {
		if !passed[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("did not pass against the second engine (skipped or absent): %v\n%s", missing, out)
	}
}

// labHost returns the node's DOCKER_HOST when its engine answers, else "".
func labHost(lab string) string {
	out, err := exec.Command(swarmLab, "engine", "host", lab).Output()
	if err != nil {
		return ""
	}
	host := strings.TrimSpace(string(out))
	if host == "tcp://:2375" || exec.Command("docker", "-H", host, "version").Run() != nil {
		return ""
	}
	return host
}

// engineAPI returns the engine's release and the API version the docker
// CLI (and mycompose, which negotiates the same way) uses with it.
func engineAPI(t *testing.T) (release, api string) { t.Helper(); return dockercli.EngineAPI(t) }

// TestEngineAPIGatedKeys: on an engine with API 1.45, start_interval, a
// per-network mac_address and a volume subpath work (read back from the
// engine); on API 1.41 they are refused before anything is created, naming
// each key, the version it needs and the engine's. An image mount (1.47)
// is refused on both.
func TestEngineAPIGatedKeys(t *testing.T) {
	release, api := engineAPI(t)
	h := newHarness(t, "apigated")
	needs := func(key, version, api string) string {
		return `key "` + key + `" needs Docker Engine API ` + version + ` or later, but the engine (Docker ` + release + `) is used with API ` + api
	}
	r := h.runIn(filepath.Join(h.dir, "image"), "-p", h.project, "up", "-d")
	if want := needs("volumes[0].type: image", "1.47", api); r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "compose.yaml:6:") {
		t.Errorf("image mount on API %s: exit %d, stderr lacks %q:\n%s", api, r.code, want, r.stderr)
	}
	if !convergence.APIAtLeast(api, "1.45") {
		r := h.fails("needs Docker Engine API", "up", "-d")
		for _, want := range []string{needs("healthcheck.start_interval", "1.44", api), needs("networks.front.mac_address", "1.44", api), needs("volumes[0].volume.subpath", "1.45", api)} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		h.want()
		if n := h.networks(); len(n) != 0 {
			t.Errorf("networks created: %v", n)
		}
		return
	}
	// The first probe would come after 60s without start_interval.
	start := time.Now()
	h.ok("up", "-d", "--wait", "--wait-timeout", "25")
	t.Logf("healthy after %v", time.Since(start).Round(time.Millisecond))
	cs := h.want("seed-1 exited", "web-1 running")
	web := h.project + "-web-1"
	if hc := docker(t, "inspect", "--format", "{{json .Config.Healthcheck.StartInterval}} {{.State.Health.Status}}", web); strings.TrimSpace(hc) != "1000000000 healthy" {
		t.Errorf("start interval and health: %s", hc)
	}
	front, back := h.project+"_front", h.project+"_back"
	mac := docker(t, "inspect", "--format", `{{(index .NetworkSettings.Networks "`+front+`").MacAddress}} {{(index .NetworkSettings.Networks "`+back+`").MacAddress}}`, web)
	if f := strings.Fields(mac); len(f) != 2 || f[0] != "02:42:ac:11:65:43" || f[1] == f[0] {
		t.Errorf("MAC addresses on front and back: %q", mac)
	}
	if m := docker(t, "inspect", "--format", "{{json .HostConfig.Mounts}}", web); !strings.Contains(m, `"Subpath":"www"`) {
		t.Errorf("mounts: %s", m)
	}
	if out := h.ok("exec", "-T", "web", "cat", "/www/index.html").stdout; strings.TrimSpace(out) != "hello-subpath" {
		t.Errorf("the subpath mount shows %q", out)
	}
	// Converged: a second up changes nothing.
	h.ok("up", "-d")
	if again := h.containers()[web]; again.ID != cs[web].ID {
		t.Errorf("second up recreated web")
	}
	// The same engine used with API 1.41 refuses, and says the engine could.
	h.env = []string{"DOCKER_API_VERSION=1.41"}
	r = h.fails(needs("healthcheck.start_interval", "1.44", "1.41")+" (it speaks up to ", "up", "-d")
	if !strings.Contains(r.stderr, "unset DOCKER_API_VERSION") {
		t.Errorf("no hint about DOCKER_API_VERSION:\n%s", r.stderr)
	}
	if again := h.containers()[web]; again.ID != cs[web].ID || again.State.Status != "running" {
		t.Errorf("the refused up touched web: %+v", again)
	}
}

// TestNetworksAtCreate: a service on two networks, and a one-off of it,
// are on both, with the service's aliases, whether the container is
// created on both at once (API 1.44+) or created on one and connected to
// the other (API 1.41, also forced on a newer engine by
// DOCKER_API_VERSION), and a second up is a no-op.
func TestNetworksAtCreate(t *testing.T) {
	_, api := engineAPI(t)
	pins := []string{""}
	if convergence.APIAtLeast(api, convergence.MultiNetworkCreateAPI) {
		pins = append(pins, "1.41")
	}
	for _, pin := range pins {
		name := "api-" + api
		if pin != "" {
			name = "api-" + pin
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "twonets")
			if pin != "" {
				h.env = []string{"DOCKER_API_VERSION=" + pin}
			}
			h.ok("up", "-d")
			cs := h.want("peer-1 running", "web-1 running")
			web := cs[h.project+"-web-1"]
			front, back := h.project+"_front", h.project+"_back"
			var nets []string
			for n := range web.Networks {
				nets = append(nets, n)
			}
			sort.Strings(nets)
			if strings.Join(nets, " ") != back+" "+front {
				t.Fatalf("web is on %v, want %s and %s", nets, front, back)
			}
			if a := strings.Join(web.Networks[front].Aliases, " "); !strings.Contains(a, "www") || !strings.Contains(a, "web") {
				t.Errorf("aliases on front: %q", a)
			}
			// peer reaches web by its service name over back.
			h.ok("exec", "-T", "peer", "ping", "-c", "1", "-W", "2", "web")
			// A one-off of web joins both networks the same way: it
			// reaches peer, which is only on back.
			h.ok("run", "--rm", "-T", "web", "ping", "-c", "1", "-W", "2", "peer")
			h.ok("up", "-d")
			if again := h.containers()[h.project+"-web-1"]; again.ID != web.ID {
				t.Errorf("second up recreated web")
			}
		})
	}
}
