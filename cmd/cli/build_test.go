package cli

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
)

func TestRunBuildsOrdersAndBounds(t *testing.T) {
	var mu sync.Mutex
	var order []string
	running, peak := 0, 0
	built, _, err := runBuilds(t.Context(), []string{"a", "b", "base", "c"}, map[string][]string{"a": {"base"}, "b": {"base"}}, 2, false,
		func(_ context.Context, n string) (string, error) {
			mu.Lock()
			order = append(order, n)
			running++
			peak = max(peak, running)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			return "img-" + n, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if peak != 2 {
		t.Errorf("peak parallelism %d, want 2", peak)
	}
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	if pos["base"] > pos["a"] || pos["base"] > pos["b"] {
		t.Errorf("base not built before its dependents: %v", order)
	}
	sort.Strings(built)
	if strings.Join(built, " ") != "img-a img-b img-base img-c" {
		t.Errorf("built %v", built)
	}
}

func TestRunBuildsStopsDependentsOfAFailure(t *testing.T) {
	boom := errors.New("boom")
	var mu sync.Mutex
	var ran []string
	_, _, err := runBuilds(t.Context(), []string{"a", "base"}, map[string][]string{"a": {"base"}}, 4, false,
		func(_ context.Context, n string) (string, error) {
			mu.Lock()
			ran = append(ran, n)
			mu.Unlock()
			if n == "base" {
				return "", boom
			}
			return n, nil
		})
	if !errors.Is(err, boom) || strings.Join(ran, " ") != "base" {
		t.Errorf("err %v, ran %v", err, ran)
	}
}

// With partial (up), a failed build fails only itself and the builds that
// use its image; the others are built.
func TestRunBuildsPartialFailsAlone(t *testing.T) {
	boom := errors.New("boom")
	var mu sync.Mutex
	var ran []string
	built, failed, err := runBuilds(t.Context(), []string{"a", "base", "c", "d"}, map[string][]string{"a": {"base"}, "d": {"c"}}, 1, true,
		func(_ context.Context, n string) (string, error) {
			mu.Lock()
			ran = append(ran, n)
			mu.Unlock()
			if n == "base" {
				return "", boom
			}
			return "img-" + n, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ran)
	sort.Strings(built)
	if strings.Join(ran, " ") != "base c d" || strings.Join(built, " ") != "img-c img-d" {
		t.Errorf("ran %v, built %v; want base, c, d run and c, d built", ran, built)
	}
	if len(failed) != 2 || !errors.Is(failed["base"], boom) ||
		failed["a"] == nil || !strings.Contains(failed["a"].Error(), `the image of service "base", whose build failed`) {
		t.Errorf("failed %v, want base (boom) and a (naming base)", failed)
	}
}

func TestPlainProgressPrintsBuildStepsLikeBuildKit(t *testing.T) {
	var out bytes.Buffer
	ui := &plainProgressUI{w: &out}
	app, web := objectKey{"Image", "p-app"}, objectKey{"Image", "p-web"}
	ui.event(convergence.Event{Object: "Image", Name: "p-app", Status: "Building", Detail: "buildkit"})
	for _, c := range []childEvent{
		{Kind: "Step", Parent: app, ID: "[1/2] FROM x", Status: convergence.StepCached},
		{Kind: "Step", Parent: app, ID: "[2/2] RUN make", Status: convergence.StepRunning},
		{Kind: "Step", Parent: web, ID: "[internal] load build definition", Status: convergence.StepRunning},
		{Kind: "Step", Parent: app, ID: "[2/2] RUN make", Status: convergence.StepRunning, Output: "compiling"},
		{Kind: "Step", Parent: app, ID: "[2/2] RUN make", Status: convergence.StepError, Detail: "exit code: 2"},
	} {
		ui.child(c)
	}
	want := ` Image p-app  Building (buildkit)
#1 [p-app 1/2] FROM x
#1 CACHED
#2 [p-app 2/2] RUN make
#3 [p-web internal] load build definition
#2 compiling
#2 ERROR: exit code: 2
`
	if out.String() != want {
		t.Errorf("plain:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestBuildOrderPutsDependenciesFirst(t *testing.T) {
	got := buildOrder([]string{"app1", "app2", "base", "z"}, map[string][]string{"app1": {"base"}, "app2": {"app1", "base"}})
	if strings.Join(got, " ") != "base app1 app2 z" {
		t.Errorf("order %v", got)
	}
}
