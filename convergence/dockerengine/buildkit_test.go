package dockerengine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

func TestStepTrackerStatesOutputAndFailure(t *testing.T) {
	var got []string
	tr := newStepTracker(func(p convergence.BuildProgress) {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s", p.Step, p.State, p.Output, p.Detail))
	})
	t0 := time.Unix(100, 0)
	t1 := t0.Add(1500 * time.Millisecond)
	a, b, c := digest.FromString("a"), digest.FromString("b"), digest.FromString("c")
	tr.update(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{
		{Digest: a, Name: "[1/3] FROM x", Cached: true, Started: &t0, Completed: &t0},
		{Digest: b, Name: "[2/3] RUN make"},
	}})
	tr.update(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{{Digest: b, Name: "[2/3] RUN make", Started: &t0}}})
	tr.update(&bkclient.SolveStatus{Logs: []*bkclient.VertexLog{{Vertex: b, Data: []byte("one\ntw")}, {Vertex: b, Data: []byte("o\n")}}})
	tr.update(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{{Digest: b, Name: "[2/3] RUN make", Started: &t0, Completed: &t1}}})
	tr.update(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{{Digest: c, Name: "[3/3] RUN test", Started: &t1}}})
	tr.update(&bkclient.SolveStatus{Logs: []*bkclient.VertexLog{{Vertex: c, Data: []byte("no such file")}}})
	tr.update(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{{Digest: c, Name: "[3/3] RUN test", Started: &t1, Completed: &t1, Error: "exit code: 1"}}})
	want := []string{
		"[1/3] FROM x|Cached||",
		"[2/3] RUN make|Running||",
		"[2/3] RUN make||one|",
		"[2/3] RUN make||two|",
		"[2/3] RUN make|Done||1.5s",
		"[3/3] RUN test|Running||",
		"[3/3] RUN test||no such file|",
		"[3/3] RUN test|Error||exit code: 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f := tr.failure(); f != "step [3/3] RUN test failed: exit code: 1\n  output:\n    no such file" {
		t.Errorf("failure = %q", f)
	}
}

func TestFrontendAttrsAndCacheEntries(t *testing.T) {
	b := &project.Build{
		Target: "final", Args: map[string]string{"A": "1"}, Labels: map[string]string{"l": "v"},
		NoCache: true, Pull: true, Network: "none", ExtraHosts: []string{"db:10.0.0.2", "v6:::1"},
		ShmSize: 1 << 20, Ulimits: []project.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}},
	}
	attrs := frontendAttrs(convergence.BuildRequest{Build: b, Platform: "linux/arm64"})
	want := map[string]string{
		"target": "final", "platform": "linux/arm64", "build-arg:A": "1", "label:l": "v",
		"no-cache": "", "image-resolve-mode": "pull", "force-network-mode": "none",
		"add-hosts": "db=10.0.0.2,v6=::1", "shm-size": "1048576", "ulimit": "nofile=10:20",
	}
	if fmt.Sprint(attrs) != fmt.Sprint(want) {
		t.Errorf("attrs:\n%v\nwant:\n%v", attrs, want)
	}
	filtered := frontendAttrs(convergence.BuildRequest{Build: &project.Build{NoCacheFilter: []string{"deps", "test"}}})
	if got := filtered["no-cache"]; got != "deps,test" {
		t.Errorf("no_cache_filter: no-cache = %q, want the stages", got)
	}
	for in, want := range map[string]string{
		"myimage:cache":                   "registry map[ref:myimage:cache]",
		"type=local,src=/tmp/c":           "local map[src:/tmp/c]",
		"type=inline":                     "inline map[]",
		"ref=r:1, mode=max,type=registry": "registry map[mode:max ref:r:1]",
	} {
		e := cacheEntry(in)
		if got := e.Type + " " + fmt.Sprint(e.Attrs); got != want {
			t.Errorf("cacheEntry(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSolveOptMountsContextsAndEntitlements(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/Dockerfile", "FROM scratch\n")
	extra := t.TempDir()
	b := &project.Build{Context: dir, Privileged: true, Network: "host",
		AdditionalContexts: map[string]string{"extra": extra, "img": "docker-image://x:1"},
		Secrets:            []project.BuildSecret{{ID: "s", Content: []byte("v")}}}
	opt, cleanup, err := solveOpt(convergence.BuildRequest{Build: b, Tags: []string{"p-app", "p-app:2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	var mounts []string
	for k := range opt.LocalMounts {
		mounts = append(mounts, k)
	}
	got := fmt.Sprintln(len(mounts), opt.FrontendAttrs["context:extra"], opt.FrontendAttrs["context:img"],
		opt.FrontendAttrs["filename"], opt.Exports[0].Attrs["name"], opt.AllowedEntitlements, len(opt.Session))
	if got != "3 local:ctx-extra docker-image://x:1 Dockerfile p-app,p-app:2 [network.host security.insecure] 2\n" {
		t.Errorf("solve options: %s", got)
	}
	inline, cleanInline, err := solveOpt(convergence.BuildRequest{Build: &project.Build{Context: dir, DockerfileInline: "FROM scratch\n"}, Tags: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if inline.FrontendAttrs["filename"] != "Dockerfile" || inline.LocalMounts["dockerfile"] == nil {
		t.Errorf("inline Dockerfile: %v", inline.FrontendAttrs)
	}
	cleanInline()
	remote, _, err := solveOpt(convergence.BuildRequest{Build: &project.Build{Remote: "https://example.com/c.tar"}, Tags: []string{"x"}})
	if err != nil || remote.FrontendAttrs["context"] != "https://example.com/c.tar" || len(remote.LocalMounts) != 0 {
		t.Errorf("remote context: %v %v", remote.FrontendAttrs, err)
	}
}

func TestSecretStoreReadsFilesAndContent(t *testing.T) {
	f := t.TempDir() + "/s"
	writeFile(t, f, "from-file")
	s := secretStore{{ID: "a", File: f}, {ID: "b", Content: []byte("from-env")}}
	a, err := s.GetSecret(t.Context(), "a")
	b, err2 := s.GetSecret(t.Context(), "b")
	if string(a) != "from-file" || string(b) != "from-env" || err != nil || err2 != nil {
		t.Errorf("got %q %q %v %v", a, b, err, err2)
	}
	if _, err := s.GetSecret(t.Context(), "c"); err == nil {
		t.Error("unknown secret answered")
	}
}

// TestAttestationAttrs: build.provenance and build.sbom reach the frontend
// as buildx's --attest does ("true" the default attestation, "false" none).
func TestAttestationAttrs(t *testing.T) {
	attrs := frontendAttrs(convergence.BuildRequest{Build: &project.Build{Provenance: "mode=max", SBOM: "true"}})
	if v, ok := attrs["attest:provenance"]; !ok || v != "mode=max" {
		t.Errorf("attest:provenance = %q, %v", v, ok)
	}
	if v, ok := attrs["attest:sbom"]; !ok || v != "" {
		t.Errorf("attest:sbom = %q, %v", v, ok)
	}
	if _, ok := frontendAttrs(convergence.BuildRequest{Build: &project.Build{Provenance: "false"}})["attest:provenance"]; ok {
		t.Error("provenance: false asked for an attestation")
	}
}
