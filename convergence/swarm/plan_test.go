package swarm

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/loader"
	"github.com/mycompose/mycompose/project"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func desired(t *testing.T) *Desired {
	t.Helper()
	p, err := loader.Load(context.Background(), loader.Options{
		WorkDir: "../../testdata/swarm/stack", ProjectName: "demo", Swarm: true, Environ: []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := BuildDesired(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// deployed is what the manager reports once d is deployed.
func deployed(d *Desired) Observed {
	var o Observed
	ns := map[string]string{project.StackNamespaceLabel: d.Stack}
	for _, s := range d.Services {
		o.Services = append(o.Services, Service{ID: "id-" + s.Name, Name: s.Name, Labels: s.Labels, Global: s.Global, Replicas: s.Replicas})
	}
	for _, n := range d.Networks {
		o.Networks = append(o.Networks, Object{ID: "id-" + n.Name, Name: n.Name, Labels: ns})
	}
	for _, n := range d.Secrets {
		o.Secrets = append(o.Secrets, Object{ID: "id-" + n.Name, Name: n.Name, Labels: ns})
	}
	for _, n := range d.Configs {
		o.Configs = append(o.Configs, Object{ID: "id-" + n.Name, Name: n.Name, Labels: ns})
	}
	return o
}

func TestPlanGolden(t *testing.T) {
	d := desired(t)
	cases := map[string]func() (*Desired, Observed, PlanOptions){
		"fresh": func() (*Desired, Observed, PlanOptions) { return d, Observed{}, PlanOptions{} },
		"in_place": func() (*Desired, Observed, PlanOptions) {
			return d, deployed(d), PlanOptions{}
		},
		"scale": func() (*Desired, Observed, PlanOptions) {
			o := deployed(d)
			d2 := *d
			d2.Services = append([]ServiceSpec(nil), d.Services...)
			d2.Services[1].Replicas = 9
			return &d2, o, PlanOptions{ScaleOnly: []string{"web"}}
		},
		"scale_ignores_changes": func() (*Desired, Observed, PlanOptions) {
			o := deployed(d)
			o.Services[1].Labels = map[string]string{HashLabel: "old"}
			o.Services[1].Replicas = 3
			return d, o, PlanOptions{ScaleOnly: []string{"web"}}
		},
		"changed_env_and_secret": func() (*Desired, Observed, PlanOptions) {
			o := deployed(d)
			o.Services[1].Labels = map[string]string{HashLabel: "old"}
			o.Secrets[0] = Object{ID: "id-old", Name: "demo_token_0000000000"}
			return d, o, PlanOptions{}
		},
		"orphans_and_docker_stack": func() (*Desired, Observed, PlanOptions) {
			o := deployed(d)
			o.Services[0].Labels = map[string]string{project.StackNamespaceLabel: "demo"}
			o.Services = append(o.Services, Service{ID: "id-old", Name: "demo_worker", Replicas: 2})
			o.Networks = append(o.Networks, Object{ID: "id-net", Name: "demo_default"})
			o.Configs = append(o.Configs, Object{ID: "id-cfg", Name: "demo_page_1111111111"})
			return d, o, PlanOptions{}
		},
		"mode_change": func() (*Desired, Observed, PlanOptions) {
			o := deployed(d)
			o.Services[0].Global = false
			o.Services[0].Labels = map[string]string{HashLabel: "old"}
			return d, o, PlanOptions{}
		},
		"down": func() (*Desired, Observed, PlanOptions) {
			return &Desired{Stack: "demo"}, deployed(d), PlanOptions{Down: true}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			dd, o, opts := mk()
			got := Format(Plan(dd, o, opts))
			file := filepath.Join("..", "..", "testdata", "swarm", "golden", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./convergence/swarm -update)", err)
			}
			if got != string(want) {
				t.Errorf("plan differs from %s\ngot:\n%s\nwant:\n%s", file, got, want)
			}
		})
	}
}

func TestConverged(t *testing.T) {
	d := desired(t)
	web := d.Services[1]
	svcs := []Service{{ID: "p", Name: d.Services[0].Name, Global: true}, {ID: "w", Name: web.Name, Replicas: 6}}
	var tasks []Task
	for i := 0; i < 6; i++ {
		tasks = append(tasks, Task{ServiceID: "w", DesiredState: "running", State: "running", Hash: web.Hash})
	}
	tasks = append(tasks, Task{ServiceID: "p", DesiredState: "running", State: "running", Hash: d.Services[0].Hash})
	nodes := []Node{{ID: "n1", State: "ready"}}
	if ok, p := Converged(d, svcs, tasks, nodes); !ok {
		t.Fatalf("want converged: %+v", p)
	}
	tasks[0].Hash = "old"
	if ok, _ := Converged(d, svcs, tasks, nodes); ok {
		t.Fatal("an old task still runs: not converged")
	}
	svcs[1].UpdateState = "updating"
	tasks[0].Hash = web.Hash
	if ok, _ := Converged(d, svcs, tasks, nodes); ok {
		t.Fatal("update in progress: not converged")
	}
}

func TestSecretNamesFollowContent(t *testing.T) {
	a := objectName(project.SwarmObject{Name: "s_tok", Data: []byte("a")})
	b := objectName(project.SwarmObject{Name: "s_tok", Data: []byte("b")})
	if a == b || objectName(project.SwarmObject{Name: "ext", External: true}) != "ext" {
		t.Fatalf("names: %s %s", a, b)
	}
}

func TestPin(t *testing.T) {
	const dg = "sha256:7340be753f403fb92c52c7ea59647e3afdbbc4da285c930ff41d2123250ab13e"
	for ref, want := range map[string]string{
		"reg:5000/swm/app:1":      "reg:5000/swm/app:1@" + dg,
		"busybox":                 "busybox:latest@" + dg,
		"reg:5000/a@" + dg:        "reg:5000/a@" + dg,
		"docker.io/library/nginx": "nginx:latest@" + dg,
	} {
		got, err := Pin(ref, dg)
		if err != nil || got != want {
			t.Errorf("Pin(%s) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := Pin("reg/a:1", "md5:x"); err == nil {
		t.Error("a bad digest is accepted")
	}
	// A pinned image is part of the spec's hash: a new push under the
	// same tag rolls the service.
	p, err := loader.Load(context.Background(), loader.Options{
		WorkDir: "../../testdata/swarm/stack", ProjectName: "demo", Swarm: true, Environ: []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	img := p.Services[1].Container.Image
	a, _ := BuildDesired(p, map[string]string{img: dg})
	b, _ := BuildDesired(p, map[string]string{img: "sha256:" + strings.Repeat("0", 64)})
	if a.Services[1].Hash == b.Services[1].Hash || !strings.HasSuffix(a.Services[1].Service.Container.Image, "@"+dg) ||
		a.Services[1].Labels["com.docker.stack.image"] != img {
		t.Fatalf("pinned spec: %s %s label %s", a.Services[1].Service.Container.Image, a.Services[1].Hash, a.Services[1].Labels["com.docker.stack.image"])
	}
}

func TestUpdateFailedOnlyCountsThisRun(t *testing.T) {
	d := desired(t)
	web := d.Services[1].Name
	earlier := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	before := []Service{{Name: web, UpdateState: "rollback_completed", UpdateStarted: earlier}}
	// The rollback of an earlier run is not this run's failure.
	if f := UpdateFailed(d, before, before); f != nil {
		t.Fatalf("an earlier rollback counted: %+v", f)
	}
	paused := []Service{{Name: web, UpdateState: "paused", UpdateStarted: earlier}}
	if f := UpdateFailed(d, paused, paused); f == nil {
		t.Fatal("an update paused earlier is stuck: it must be reported")
	}
	now := []Service{{ID: "w", Name: web, UpdateState: "rollback_completed", UpdateStarted: earlier.Add(time.Minute), UpdateMessage: "update rolled back"}}
	f := UpdateFailed(d, before, now)
	if f == nil || f.Name != web {
		t.Fatalf("this run's rollback not reported: %+v", f)
	}
	tasks := []Task{
		{ID: "t1xxxxxxxxxxxxxx", ServiceID: "w", Slot: 2, NodeID: "n1", State: "failed", Err: "unhealthy container", Hash: d.Services[1].Hash, ContainerID: "c1"},
		{ID: "t2", ServiceID: "w", Slot: 1, NodeID: "n2", State: "running", Hash: "old"},
	}
	got := FormatFailure(d, *f, tasks, []Node{{ID: "n1", Hostname: "node1"}}, map[string]string{"t1xxxxxxxxxxxxxx": "exit 1: MODE is broken"})
	want := " (update rolled back)\n  task demo_web.2 (t1xxxxxxxxxx) on node1: unhealthy container\n    last health check: exit 1: MODE is broken"
	if got != want {
		t.Fatalf("FormatFailure:\n%q\nwant\n%q", got, want)
	}
}

func TestOnLiveNodes(t *testing.T) {
	tasks := []Task{{ID: "a", NodeID: "up"}, {ID: "b", NodeID: "dead"}, {ID: "c"}}
	got := onLiveNodes(tasks, []Node{{ID: "up", State: "ready"}, {ID: "dead", State: "down"}})
	if len(got) != 1 || got[0].ID != "a" {
		t.Fatalf("got %+v", got)
	}
}
