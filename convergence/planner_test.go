package convergence

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/project"
)

const imgID = "sha256:aaaa"

// svc builds a service with n replicas on the default network.
func svc(name string, n int, deps ...string) project.Service {
	s := project.Service{
		Name: name, Replicas: n, ConfigHash: "hash-" + name,
		Container: project.ContainerSpec{Image: "img"},
		Networks:  []project.NetworkAttachment{{Key: "default", Name: "p_default"}},
	}
	for _, d := range deps {
		s.DependsOn = append(s.DependsOn, project.Dependency{Service: d, Condition: project.ConditionStarted, Required: true})
	}
	return s
}

func proj(services ...project.Service) *project.Project {
	return &project.Project{
		Name: "p", WorkingDir: "/w", ConfigFiles: []string{"/w/compose.yaml"}, Services: services,
		Networks: []project.Network{{Key: "default", Name: "p_default", ConfigHash: "nethash"}},
	}
}

// ctr builds an observed replica of service name with the given hash and state.
func ctr(name string, n int, hash, state string) Container {
	return Container{
		ID: name + strconv.Itoa(n) + strings.Repeat("0", 20), Name: "p-" + name + "-" + strconv.Itoa(n), State: state, ImageID: imgID,
		Labels: map[string]string{
			project.LabelProject: "p", project.LabelService: name, project.LabelNumber: strconv.Itoa(n),
			project.LabelOneOff: project.OneOffFalse, project.LabelConfigHash: hash, project.LabelImage: imgID,
		},
	}
}

func running(name string, n int) Container { return ctr(name, n, "hash-"+name, "running") }

func observed(cs ...Container) Observed {
	return Observed{
		Containers: cs,
		Networks:   []Network{{ID: "n1", Name: "p_default", Labels: map[string]string{project.LabelProject: "p", project.LabelNetwork: "default", project.LabelConfigHash: "nethash"}}},
		ImageIDs:   map[string]string{"img": imgID},
	}
}

func TestPlanUp(t *testing.T) {
	fresh := Observed{ImageIDs: map[string]string{"img": imgID}}
	renamed := ctr("web", 1, "hash-web", "running")
	renamed.Name = "abc_p-web-1"
	leftover := ctr("web", 1, "hash-web", "created")
	leftover.ID = "zzz"
	leftover.Name = "running1_p-web-1"
	oneoff := ctr("web", 0, "hash-web", "running")
	oneoff.Name = "p-web-run-0123456789ab"
	oneoff.Labels[project.LabelOneOff] = project.OneOffTrue
	disconnected := running("web", 1)
	disconnected.Networks = map[string]string{"bridge": "b"}
	// A service whose containers an older Docker Compose stamped with
	// another hash for the same definition.
	skewed := svc("web", 3)
	skewed.AcceptedHashes = []string{"hash-web", "hash-web-v2.26", "hash-web-v2.40"}
	newImage := observed(running("web", 1))
	newImage.ImageIDs = map[string]string{"img": "sha256:bbbb"}

	tests := []struct {
		name string
		p    *project.Project
		obs  Observed
		opts UpOptions
		want string
	}{
		{"fresh up", proj(svc("db", 1), svc("web", 2, "db")), fresh, UpOptions{}, `
create network p_default (missing)
create container p-db-1 (scale 0→1) create after [create network p_default]
create container p-web-1 (scale 0→2) create after [create network p_default] after [create container p-db-1]
create container p-web-2 (scale 0→2) create after [create network p_default] after [create container p-db-1]`},
		{"re-up is empty", proj(svc("db", 1), svc("web", 2, "db")), observed(running("db", 1), running("web", 1), running("web", 2)), UpOptions{}, ``},
		{"scale up numbers from the lowest free", proj(svc("web", 4)), observed(running("web", 1), running("web", 3)), UpOptions{}, `
create container p-web-2 (scale 2→4)
create container p-web-4 (scale 2→4)`},
		{"scale down removes highest", proj(svc("web", 1)), observed(running("web", 1), running("web", 2), running("web", 3)), UpOptions{}, `
remove container p-web-2 (scale 3→1)
remove container p-web-3 (scale 3→1)`},
		{"scale down removes obsolete first", proj(svc("web", 1)), observed(ctr("web", 1, "old", "running"), running("web", 2)), UpOptions{}, `
remove container p-web-1 (scale 2→1)`},
		{"scale to zero", proj(svc("web", 0)), observed(running("web", 1)), UpOptions{}, `
remove container p-web-1 (scale 1→0)`},
		{"config change recreates", proj(svc("web", 2)), observed(ctr("web", 1, "old", "running"), running("web", 2)), UpOptions{}, `
recreate container p-web-1 (config changed)`},
		{"an older Compose's hash of the same service is up to date", proj(skewed),
			observed(ctr("web", 1, "hash-web-v2.26", "running"), ctr("web", 2, "hash-web-v2.40", "running"), ctr("web", 3, "hash-web-v1", "running")), UpOptions{}, `
recreate container p-web-3 (config changed)`},
		{"image change recreates", proj(svc("web", 1)), newImage, UpOptions{}, `
recreate container p-web-1 (image changed)`},
		{"missing network recreates", proj(svc("web", 1)), observed(disconnected), UpOptions{}, `
recreate container p-web-1 (not connected to network p_default)`},
		{"no-recreate keeps obsolete", proj(svc("web", 1)), observed(ctr("web", 1, "old", "running")), UpOptions{NoRecreate: true}, ``},
		{"force recreate", proj(svc("web", 1)), observed(running("web", 1)), UpOptions{ForceRecreate: true}, `
recreate container p-web-1 (forced)`},
		{"stopped replica starts", proj(svc("web", 2)), observed(running("web", 1), ctr("web", 2, "hash-web", "exited")), UpOptions{}, `
start container p-web-2 (exited)`},
		{"no-start leaves stopped", proj(svc("web", 2)), observed(running("web", 1), ctr("web", 2, "hash-web", "exited")), UpOptions{NoStart: true}, ``},
		{"orphans warn", proj(svc("web", 1)), observed(running("web", 1), running("old", 1)), UpOptions{}, `
warning: found orphan containers (p-old-1) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up`},
		{"orphans removed", proj(svc("web", 1)), observed(running("web", 1), running("old", 1)), UpOptions{RemoveOrphans: true}, `
remove container p-old-1 (orphan)`},
		{"orphans ignored", proj(svc("web", 1)), observed(running("web", 1), running("old", 1)), UpOptions{IgnoreOrphans: true}, ``},
		{"one-offs are neither replicas nor orphans", proj(svc("web", 1)), observed(running("web", 1), oneoff), UpOptions{}, ``},
		{"interrupted recreate is renamed", proj(svc("web", 1)), observed(renamed), UpOptions{}, `
rename container p-web-1 (finish an interrupted recreate of abc_p-web-1)`},
		{"interrupted recreate leftover removed", proj(svc("web", 1)), observed(running("web", 1), leftover), UpOptions{}, `
remove container running1_p-web-1 (leftover of an interrupted recreate)`},
		{"resources only", proj(svc("db", 1), svc("web", 1)), fresh, UpOptions{Services: []string{"web"}, ResourcesOnly: true}, `
create network p_default (missing)`},
		{"service subset", proj(svc("db", 1), svc("web", 1)), fresh, UpOptions{Services: []string{"web"}}, `
create network p_default (missing)
create container p-web-1 (scale 0→1) create after [create network p_default]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := planUp(tc.p, tc.obs, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.TrimSpace(plan.String()), strings.TrimSpace(tc.want); got != want {
				t.Errorf("plan mismatch\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestPlanUpDependencyOrder(t *testing.T) {
	p := proj(svc("db", 1), svc("cache", 1), svc("web", 2, "db", "cache"))
	plan, err := planUp(p, Observed{ImageIDs: map[string]string{"img": imgID}}, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, a := range plan.Actions {
		idx[a.Name] = i
	}
	for _, web := range []string{"p-web-1", "p-web-2"} {
		a := plan.Actions[idx[web]]
		if len(a.After) != 2 || a.After[0] != idx["p-db-1"] && a.After[1] != idx["p-db-1"] {
			t.Errorf("%s waits for %v, want db and cache actions", web, a.After)
		}
		if len(a.CreateAfter) != 1 || a.CreateAfter[0] != idx["p_default"] {
			t.Errorf("%s creates after %v, want the network", web, a.CreateAfter)
		}
	}
	if a := plan.Actions[idx["p-db-1"]]; len(a.After) != 0 {
		t.Errorf("db waits for %v, want nothing", a.After)
	}
}

func TestPlanUpDeterministic(t *testing.T) {
	p := proj(svc("a", 3), svc("b", 2, "a"), svc("c", 1, "b"), svc("d", 2))
	obs := observed(running("a", 2), ctr("b", 1, "old", "exited"), running("zz", 1))
	first, err := planUp(p, obs, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, _ := planUp(p, obs, UpOptions{})
		if again.String() != first.String() {
			t.Fatalf("plan differs between runs:\n%s\nvs\n%s", first, again)
		}
	}
}

func TestPlanUpErrors(t *testing.T) {
	cyc := proj(svc("a", 1, "b"), svc("b", 1, "a"))
	if _, err := planUp(cyc, Observed{}, UpOptions{}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: got %v", err)
	}
	missing := proj(svc("web", 1))
	_, err := planUp(missing, Observed{ImageIDs: map[string]string{}}, UpOptions{})
	if err == nil || !strings.Contains(err.Error(), `image "img" is not present`) {
		t.Errorf("missing image: got %v", err)
	}
	named := svc("web", 2)
	named.ContainerName = "fixed"
	if _, err := planUp(proj(named), Observed{ImageIDs: map[string]string{"img": imgID}}, UpOptions{}); err == nil || !strings.Contains(err.Error(), "container_name") {
		t.Errorf("container_name with replicas: got %v", err)
	}
}

// With PartialImages a service whose image is missing becomes one failing
// action, which its dependents wait for; its extra replicas are left
// alone. When only failures remain, the plan is refused.
func TestPlanUpPartialImages(t *testing.T) {
	web := svc("web", 1)
	web.Container.Image = "gone"
	p := proj(svc("db", 1), web, svc("app", 1, "web"))
	plan, err := planUp(p, Observed{ImageIDs: map[string]string{"img": imgID}}, UpOptions{PartialImages: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "create network p_default (missing)\n" +
		"create container p-db-1 (scale 0→1) create after [create network p_default]\n" +
		"fail service p-web-1 (image gone missing)\n" +
		"create container p-app-1 (scale 0→1) create after [create network p_default] after [fail service p-web-1]\n"
	if got := plan.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if err := plan.Actions[2].Err; err == nil || !strings.Contains(err.Error(), `service "web": image "gone" is not present`) {
		t.Errorf("the failure's error: %v", err)
	}
	// A pull that failed fails the service even with an image present;
	// a scale-down of it is not planned.
	obs := Observed{ImageIDs: map[string]string{"img": imgID, "gone": imgID},
		Containers:  []Container{ctr("web", 1, "hash-web", "running"), ctr("web", 2, "hash-web", "running")},
		ImageErrors: map[string]error{"web": errors.New("pull failed")}}
	plan, err = planUp(proj(web), obs, UpOptions{PartialImages: true})
	if err == nil || err.Error() != "pull failed" {
		t.Errorf("only failures: got %v, %v", plan, err)
	}
}

func TestPlanUpRecreateCarriesAnonymousVolumes(t *testing.T) {
	s := svc("web", 1)
	s.Container.Mounts = []project.Mount{{Type: project.MountVolume, Target: "/data"}, {Type: project.MountVolume, Source: "p_named", Target: "/named"}}
	old := ctr("web", 1, "old", "running")
	anon := strings.Repeat("ab", 32)
	imageVol := strings.Repeat("cd", 32)
	old.Mounts = []ContainerMount{{Type: "volume", Name: anon, Destination: "/data"}, {Type: "volume", Name: "p_named", Destination: "/named"}, {Type: "volume", Name: imageVol, Destination: "/var/lib/x"}}
	plan, err := planUp(proj(s), observed(old), UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := plan.Actions[0].Create.Spec.Mounts
	want := []project.Mount{{Type: "volume", Source: anon, Target: "/data"}, {Type: "volume", Source: "p_named", Target: "/named"}, {Type: "volume", Source: imageVol, Target: "/var/lib/x"}}
	if len(got) != len(want) {
		t.Fatalf("mounts = %+v, want %+v", got, want)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("mount %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if plan.Actions[0].Create.Name != project.TemporaryName(old.ID, "p-web-1") {
		t.Errorf("recreate creates %q, want the temporary name", plan.Actions[0].Create.Name)
	}
	renewed, _ := planUp(proj(s), observed(old), UpOptions{RenewAnonVolumes: true})
	if m := renewed.Actions[0].Create.Spec.Mounts[0]; m.Source != "" {
		t.Errorf("-V kept anonymous volume %q", m.Source)
	}
	if len(s.Container.Mounts) != 2 || s.Container.Mounts[0].Source != "" {
		t.Errorf("planner mutated its input: %+v", s.Container.Mounts)
	}
}

func TestPlanDown(t *testing.T) {
	web := running("web", 1)
	web.Labels[project.LabelDependsOn] = "db:service_started:false"
	db := running("db", 1)
	old := running("old", 1)
	obs := observed(web, db, old)
	obs.Networks[0].Containers = []string{web.ID, db.ID}
	obs.Volumes = []Volume{{Name: "p_data"}}
	timeout := 3 * time.Second

	plan := planDown(obs, DownOptions{Services: []string{"db", "web"}, Timeout: &timeout})
	want := `remove container p-db-1 (down) after [remove container p-web-1]
remove container p-web-1 (down)
remove network p_default (down) after [remove container p-db-1, remove container p-web-1]
warning: found orphan containers (p-old-1) for this project; they are kept: run down with --remove-orphans to remove them`
	if got := strings.TrimSpace(plan.String()); got != want {
		t.Errorf("down:\n%s\nwant:\n%s", got, want)
	}
	if after := plan.Actions[0].After; len(after) != 1 || after != nil && after[0] != 1 {
		t.Errorf("db waits for %v, want web (1)", after)
	}

	all := planDown(obs, DownOptions{RemoveVolumes: true})
	want = `remove container p-db-1 (down) after [remove container p-web-1]
remove container p-old-1 (down)
remove container p-web-1 (down)
remove network p_default (down) after [remove container p-db-1, remove container p-old-1, remove container p-web-1]
remove volume p_data (down --volumes) after [remove container p-db-1, remove container p-old-1, remove container p-web-1]`
	if got := strings.TrimSpace(all.String()); got != want {
		t.Errorf("down -v without file:\n%s\nwant:\n%s", got, want)
	}

	obs.Networks[0].Containers = append(obs.Networks[0].Containers, "foreign0123456789")
	inUse := planDown(obs, DownOptions{})
	if !strings.Contains(inUse.String(), `network "p_default" is not removed: it is still in use by container(s) foreign01234`) {
		t.Errorf("shared network:\n%s", inUse)
	}
	if !planDown(Observed{}, DownOptions{}).Empty() {
		t.Error("down of nothing is not empty")
	}
}

func TestPlanUpVolumeChangeNeedsConsent(t *testing.T) {
	s := svc("db", 1)
	s.Container.Mounts = []project.Mount{{Type: project.MountVolume, Source: "p_data", Target: "/data"}}
	p := proj(s)
	p.Volumes = []project.Volume{{Key: "data", Name: "p_data", ConfigHash: "new"}}
	db := running("db", 1)
	db.Mounts = []ContainerMount{{Type: "volume", Name: "p_data", Destination: "/data"}}
	obs := observed(db)
	obs.Volumes = []Volume{{Name: "p_data", Labels: map[string]string{project.LabelConfigHash: "old"}}}

	plan, err := planUp(p, obs, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() || len(plan.VolumeChanges) != 1 || plan.VolumeChanges[0] != "p_data" {
		t.Errorf("without consent: plan %q, volume changes %v", plan.String(), plan.VolumeChanges)
	}

	plan, err = planUp(p, obs, UpOptions{RecreateVolumes: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `recreate volume p_data (config changed, data deleted with consent) after [remove container p-db-1]
remove container p-db-1 (volume p_data is recreated)
create container p-db-1 (volume p_data recreated) create after [recreate volume p_data]`
	if got := strings.TrimSpace(plan.String()); got != want {
		t.Errorf("with consent:\n%s\nwant:\n%s", got, want)
	}
	if a := plan.Actions[0]; len(a.After) != 1 || a.After[0] != 1 {
		t.Errorf("volume recreate waits for %v, want the container removal", a.After)
	}
	if a := plan.Actions[2]; !containsInt(a.CreateAfter, 0) {
		t.Errorf("new container creates after %v, want the volume", a.CreateAfter)
	}

	// A volume without our hash label (made by hand) is used as it is.
	obs.Volumes[0].Labels = nil
	if plan, _ := planUp(p, obs, UpOptions{}); len(plan.VolumeChanges) != 0 {
		t.Errorf("unlabelled volume reported as changed")
	}
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

func TestPlanUpRestartsDependentsOfRecreated(t *testing.T) {
	web := svc("web", 2)
	web.DependsOn = []project.Dependency{{Service: "db", Condition: project.ConditionStarted, Restart: true, Required: true}}
	worker := svc("worker", 1, "db") // restart: false
	p := proj(svc("db", 1), web, worker)
	obs := observed(ctr("db", 1, "old", "running"), running("web", 1), running("web", 2), running("worker", 1))
	plan, err := planUp(p, obs, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `recreate container p-db-1 (config changed)
restart container p-web-1 (dependency db recreated) after [recreate container p-db-1]
restart container p-web-2 (dependency db recreated) after [recreate container p-db-1]`
	if got := strings.TrimSpace(plan.String()); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if a := plan.Actions[1]; len(a.After) != 1 || a.After[0] != 0 {
		t.Errorf("restart waits for %v, want the recreate", a.After)
	}
	// Nothing recreated: nothing restarted.
	if plan, _ := planUp(p, observed(running("db", 1), running("web", 1), running("web", 2), running("worker", 1)), UpOptions{}); !plan.Empty() {
		t.Errorf("plan without recreate:\n%s", plan)
	}
}

// planUp is PlanUp on observations decoded as an engine returns them (the
// builders above set labels only).
func planUp(p *project.Project, obs Observed, opts UpOptions) (*Plan, error) {
	return PlanUp(p, decoded(obs), opts)
}

// planDown is PlanDown on decoded observations.
func planDown(obs Observed, opts DownOptions) *Plan { return PlanDown(decoded(obs), opts) }

func decoded(obs Observed) Observed {
	out := obs
	out.Containers = append([]Container(nil), obs.Containers...)
	for i := range out.Containers {
		out.Containers[i].DecodeLabels()
	}
	out.Networks = append([]Network(nil), obs.Networks...)
	for i := range out.Networks {
		out.Networks[i].DecodeLabels()
	}
	out.Volumes = append([]Volume(nil), obs.Volumes...)
	for i := range out.Volumes {
		out.Volumes[i].DecodeLabels()
	}
	return out
}

// TestPlanRun: a one-off is planned like a replica, after the services it
// depends on (and their conditions), or alone with --no-deps.
func TestPlanRun(t *testing.T) {
	web := svc("web", 1, "db")
	web.DependsOn[0].Condition = project.ConditionHealthy
	p := proj(svc("db", 1), web)
	oneOff := func(deps, start bool) OneOff {
		return OneOff{Service: "web", Deps: deps, Start: start,
			Create: CreateSpec{Name: "p-web-run-1", Spec: project.ContainerSpec{Image: "img", Labels: map[string]string{}}}}
	}
	tests := []struct {
		name string
		obs  Observed
		o    OneOff
		want string
	}{
		{"fresh, with dependencies", Observed{ImageIDs: map[string]string{"img": imgID}}, oneOff(true, false), `
create network p_default (missing)
create container p-db-1 (scale 0→1) create after [create network p_default]
create container p-web-run-1 (one-off) create after [create network p_default, create container p-db-1] when db healthy`},
		{"dependencies up already, detached", observed(running("db", 1)), oneOff(true, true), `
create container p-web-run-1 (one-off) when db healthy`},
		{"no deps", Observed{ImageIDs: map[string]string{"img": imgID}}, oneOff(false, false), `
create network p_default (missing)
create container p-web-run-1 (one-off) create after [create network p_default]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := PlanRun(p, decoded(tc.obs), UpOptions{IgnoreOrphans: true}, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.TrimSpace(plan.String()), strings.TrimSpace(tc.want); got != want {
				t.Errorf("plan mismatch\n got:\n%s\nwant:\n%s", got, want)
			}
			last := plan.Actions[len(plan.Actions)-1]
			if !last.OneOff || last.NoStart == tc.o.Start || last.Create.Spec.Labels[project.LabelImage] != imgID {
				t.Errorf("one-off action %+v: want OneOff, NoStart %v, the image label", last, !tc.o.Start)
			}
		})
	}
	if _, err := PlanRun(p, Observed{}, UpOptions{}, oneOff(false, false)); err == nil || !strings.Contains(err.Error(), "not present") {
		t.Errorf("missing image: %v", err)
	}
}

// TestPlanDownServices: down SERVICE... removes those services' containers
// only; a network or volume the rest of the project still uses stays,
// silently, and -v removes only the volumes of the removed containers.
func TestPlanDownServices(t *testing.T) {
	web, db, cache := running("web", 1), running("db", 1), running("cache", 1)
	web.Mounts = []ContainerMount{{Type: "volume", Name: "p_shared"}, {Type: "volume", Name: "p_webdata"}}
	db.Mounts = []ContainerMount{{Type: "volume", Name: "p_shared"}}
	obs := observed(web, db, cache)
	obs.Networks[0].Containers = []string{web.ID, db.ID, cache.ID}
	obs.Volumes = []Volume{{Name: "p_shared"}, {Name: "p_unused"}, {Name: "p_webdata"}}

	plan := planDown(obs, DownOptions{Services: []string{"cache", "db", "web"}, Only: []string{"web"}, RemoveVolumes: true})
	want := `remove container p-web-1 (down)
remove volume p_webdata (down --volumes) after [remove container p-web-1]`
	if got := strings.TrimSpace(plan.String()); got != want {
		t.Errorf("down -v web:\n%s\nwant:\n%s", got, want)
	}
	obs.Networks[0].Containers = []string{web.ID}
	if got := planDown(obs, DownOptions{Only: []string{"web"}}).String(); !strings.Contains(got, "remove network p_default") {
		t.Errorf("down web, the last user of the network, keeps it:\n%s", got)
	}
}

func TestVolumesMismatch(t *testing.T) {
	svc := &project.Service{Name: "web", Container: project.ContainerSpec{Mounts: []project.Mount{
		{Type: project.MountVolume, Source: "p_new", Target: "/data"},
		{Type: project.MountVolume, Target: "/anon"},
	}}}
	c := Container{Mounts: []ContainerMount{
		{Type: "volume", Name: "p_old", Destination: "/data"},
		{Type: "volume", Name: "3f2a", Destination: "/anon"},
	}}
	if got := strings.Join(volumesMismatch(svc, c), "; "); got != "volume at /data is p_old, the file wants p_new" {
		t.Errorf("mismatch = %q", got)
	}
	c.Mounts[0].Name = "p_new"
	if got := volumesMismatch(svc, c); len(got) != 0 {
		t.Errorf("matching mounts reported %q", got)
	}
}
