package convergence_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	"github.com/mycompose/mycompose/project"
)

func TestAPIAtLeast(t *testing.T) {
	cases := []struct {
		v, min string
		want   bool
	}{
		{"1.45", "1.44", true}, {"1.44", "1.44", true}, {"1.41", "1.44", false},
		{"1.9", "1.44", false}, {"2.0", "1.47", true}, {"", "1.44", false}, {"x", "1.41", false},
	}
	for _, c := range cases {
		if got := convergence.APIAtLeast(c.v, c.min); got != c.want {
			t.Errorf("APIAtLeast(%q, %q) = %v", c.v, c.min, got)
		}
	}
}

func gated() *project.Project {
	web := service("web", 1)
	web.Requires = []project.APIRequirement{
		{Key: "healthcheck.start_interval", API: "1.44", Where: "compose.yaml:6"},
		{Key: "volumes[0].volume.subpath", API: "1.45", Where: "compose.yaml:9"},
		{Key: "volumes[1].type: image", API: "1.47"},
	}
	return newProject(web, service("db", 1))
}

// TestCheckAPI: the negotiated version decides; each refusal names the
// key, where it is, the version it needs and the engine's.
func TestCheckAPI(t *testing.T) {
	p := gated()
	err := convergence.CheckAPI(p, nil, convergence.EngineVersion{API: "1.41", Version: "20.10.24", MaxAPI: "1.41"})
	want := `compose.yaml:6: service "web": key "healthcheck.start_interval" needs Docker Engine API 1.44 or later, but the engine (Docker 20.10.24) is used with API 1.41: upgrade the engine, or remove the key
compose.yaml:9: service "web": key "volumes[0].volume.subpath" needs Docker Engine API 1.45 or later, but the engine (Docker 20.10.24) is used with API 1.41: upgrade the engine, or remove the key
service "web": key "volumes[1].type: image" needs Docker Engine API 1.47 or later, but the engine (Docker 20.10.24) is used with API 1.41: upgrade the engine, or remove the key`
	if err == nil || err.Error() != want || !errors.Is(err, convergence.ErrEngineAPI) {
		t.Fatalf("1.41: err =\n%v\nwant\n%s", err, want)
	}
	// 26.1 (API 1.45): only the image mount is left.
	err = convergence.CheckAPI(p, nil, convergence.EngineVersion{API: "1.45", Version: "26.1.5", MaxAPI: "1.45"})
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), `"volumes[1].type: image" needs Docker Engine API 1.47`) {
		t.Fatalf("1.45: err = %v", err)
	}
	// Pinned lower than the engine speaks: say so.
	err = convergence.CheckAPI(p, nil, convergence.EngineVersion{API: "1.41", Version: "26.1.5", MaxAPI: "1.45"})
	if err == nil || !strings.Contains(err.Error(), "is used with API 1.41 (it speaks up to 1.45: unset DOCKER_API_VERSION)") {
		t.Fatalf("pinned: err = %v", err)
	}
	// Services out of scope are not checked; 1.47 accepts all.
	if err := convergence.CheckAPI(p, []string{"db"}, convergence.EngineVersion{API: "1.41"}); err != nil {
		t.Errorf("db only: %v", err)
	}
	if err := convergence.CheckAPI(p, nil, convergence.EngineVersion{API: "1.47"}); err != nil {
		t.Errorf("1.47: %v", err)
	}
}

// TestPlanUpRefusesGatedKeys: the planner refuses before planning anything.
func TestPlanUpRefusesGatedKeys(t *testing.T) {
	eng := fakeengine.New(map[string]string{"img": "sha256:1"})
	p := gated()
	obs, err := convergence.Observe(context.Background(), eng, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convergence.PlanUp(p, obs, convergence.UpOptions{}); !errors.Is(err, convergence.ErrEngineAPI) {
		t.Fatalf("PlanUp on the fake's API 1.41: err = %v", err)
	}
}

func twoNetworks() *project.Project {
	web := service("web", 1)
	web.Networks = []project.NetworkAttachment{{Key: "front", Name: "p_front"}, {Key: "back", Name: "p_back", MacAddress: "02:42:ac:11:65:43"}}
	p := newProject(web)
	p.Networks = []project.Network{{Key: "back", Name: "p_back"}, {Key: "front", Name: "p_front"}}
	return p
}

// TestMultiNetworkCreate: from API 1.44 a container is created on all its
// networks at once; before, it is created on the first and connected to
// the others before start.
func TestMultiNetworkCreate(t *testing.T) {
	for _, c := range []struct {
		api  string
		want []string
	}{
		{"1.41", []string{"connect container p-web-1 to p_back", "create container p-web-1", "start container p-web-1"}}, // Calls() is sorted
		{"1.44", []string{"create container p-web-1 on p_front, p_back", "start container p-web-1"}},
	} {
		t.Run(c.api, func(t *testing.T) {
			eng := fakeengine.New(map[string]string{"img": "sha256:1"})
			eng.SetAPIVersion(c.api)
			p := twoNetworks()
			converge(t, eng, p, convergence.UpOptions{})
			var got []string
			for _, call := range mutating(eng.Calls()) {
				if !strings.HasPrefix(call, "create network") {
					got = append(got, call)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			obs, _ := convergence.Observe(context.Background(), eng, p)
			if n := obs.Containers[0].Networks; len(n) != 2 || n["p_front"] == "" || n["p_back"] == "" {
				t.Errorf("networks of the container: %v", n)
			}
			if plan := converge(t, eng, p, convergence.UpOptions{}); !plan.Empty() {
				t.Errorf("second up planned:\n%s", plan)
			}
		})
	}
}

// TestMultiNetworkCreateSpec: the planner carries the further endpoints,
// MAC address included, in the create spec.
func TestMultiNetworkCreateSpec(t *testing.T) {
	p := twoNetworks()
	plan, err := convergence.PlanUp(p, convergence.Observed{Engine: convergence.EngineVersion{API: "1.45"}, ImageIDs: map[string]string{"img": "sha256:1"}}, convergence.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range plan.Actions {
		if a.Kind != convergence.CreateContainer {
			continue
		}
		if len(a.Networks) != 0 || a.Create.PrimaryNetwork != "p_front" || len(a.Create.Networks) != 1 ||
			a.Create.Networks[0].Network != "p_back" || a.Create.Networks[0].Endpoint.MacAddress != "02:42:ac:11:65:43" {
			t.Errorf("create action: networks %+v, create %+v", a.Networks, a.Create)
		}
		return
	}
	t.Fatalf("no create in\n%s", plan)
}
