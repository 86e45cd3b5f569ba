package convergence_test

// FuzzPlan checks the convergence promise on random engine states: from any
// mix of up-to-date, outdated, stopped, duplicated, half-recreated
// (temporary names), misnumbered and orphan containers, one `up` (PlanUp
// applied by the Executor to the fake engine) leaves exactly the desired
// replicas of every service, each under its canonical name with a unique
// number, running the current configuration, and a second PlanUp plans
// nothing.
//
// The seed corpus (testdata/fuzz/FuzzPlan) runs with `go test ./...`; to
// search for new failures:
//
//	go test ./convergence -run '^$' -fuzz FuzzPlan -fuzztime 30s

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/convergence/fakeengine"
	"github.com/mycompose/mycompose/project"
)

const (
	fuzzImage   = "img"
	fuzzImageID = "sha256:current"
)

// fuzzBytes hands out the fuzz input one byte at a time, zeros once spent.
type fuzzBytes struct {
	data []byte
	pos  int
}

func (b *fuzzBytes) next() int {
	if b.pos >= len(b.data) {
		return 0
	}
	b.pos++
	return int(b.data[b.pos-1])
}

// pick returns a number in [0, n).
func (b *fuzzBytes) pick(n int) int { return b.next() % n }

// fuzzScenario is a decoded input: the desired project, the up options and
// a description of the engine state built, for failure messages.
type fuzzScenario struct {
	p     *project.Project
	opts  convergence.UpOptions
	state []string
}

// decodeScenario builds the desired project from the input and fills eng
// with the observed state.
func decodeScenario(t *testing.T, data []byte, eng *fakeengine.Engine) fuzzScenario {
	t.Helper()
	ctx := context.Background()
	b := &fuzzBytes{data: data}
	p := &project.Project{Name: "p", WorkingDir: "/w", ConfigFiles: []string{"/w/compose.yaml"}}
	p.Networks = []project.Network{{Key: "default", Name: "p_default", ConfigHash: "nethash"}}
	if b.pick(2) == 1 {
		p.Volumes = []project.Volume{{Key: "data", Name: "p_data", ConfigHash: "volhash"}}
	}
	// 1-4 services, 0-5 replicas each, depending only on earlier services
	// (acyclic), config hashes from a three-letter alphabet.
	n := 1 + b.pick(4)
	for i := 0; i < n; i++ {
		s := project.Service{
			Name:       fmt.Sprintf("s%d", i),
			Replicas:   b.pick(6),
			ConfigHash: "h" + string(rune('a'+b.pick(3))),
			Container:  project.ContainerSpec{Image: fuzzImage},
			Networks:   []project.NetworkAttachment{{Key: "default", Name: "p_default"}},
		}
		for j := 0; j < i; j++ {
			if b.pick(3) == 0 {
				s.DependsOn = append(s.DependsOn, project.Dependency{Service: fmt.Sprintf("s%d", j), Condition: project.ConditionStarted, Required: true})
			}
		}
		if len(p.Volumes) > 0 && b.pick(2) == 1 {
			s.Container.Mounts = []project.Mount{{Type: project.MountVolume, Source: "p_data", Target: "/data"}}
		}
		if b.pick(4) == 0 {
			// An anonymous volume, inherited by recreated replicas.
			s.Container.Mounts = append(s.Container.Mounts, project.Mount{Type: project.MountVolume, Target: "/anon"})
		}
		p.Services = append(p.Services, s)
	}
	if b.pick(3) == 0 {
		p.DisabledServices = []string{"s4"}
	}

	var sc fuzzScenario
	sc.p = p
	switch b.pick(5) {
	case 0:
		sc.opts.RemoveOrphans = true
	case 1:
		sc.opts.ForceRecreate = true
		sc.opts.IgnoreOrphans = true
	case 2:
		sc.opts.NoRecreate = true
		sc.opts.IgnoreOrphans = true
	default:
		sc.opts.IgnoreOrphans = true
	}
	if b.pick(3) == 0 {
		// `up SERVICE`: one service and, as the CLI adds them, its
		// dependencies.
		sc.opts.Services = p.WithDependencies([]string{fmt.Sprintf("s%d", b.pick(n))})
	}

	// Observed networks and volumes: present or not.
	netPresent := b.pick(4) != 0
	if netPresent {
		if _, err := eng.CreateNetwork(ctx, convergence.NetworkSpec{Name: "p_default", Labels: p.NetworkLabels(&p.Networks[0])}); err != nil {
			t.Fatal(err)
		}
		sc.state = append(sc.state, "network p_default")
	}
	if len(p.Volumes) > 0 && b.pick(2) == 1 {
		if err := eng.CreateVolume(ctx, convergence.VolumeSpec{Name: "p_data", Labels: p.VolumeLabels(&p.Volumes[0])}); err != nil {
			t.Fatal(err)
		}
		sc.state = append(sc.state, "volume p_data")
	}

	// Up to 10 containers of s0-s4 (s4 is never in the project: an orphan,
	// or disabled by profiles) with random numbers (0 and "x" are invalid),
	// hashes, images, states and names (canonical, temporary, or taken).
	count := b.pick(11)
	for i := 0; i < count; i++ {
		svc := fmt.Sprintf("s%d", b.pick(5))
		number := strconv.Itoa(b.pick(5))
		if b.pick(16) == 0 {
			number = "x"
		}
		labels := map[string]string{
			project.LabelProject: "p", project.LabelService: svc, project.LabelNumber: number,
			project.LabelOneOff: project.OneOffFalse, project.LabelConfigHash: "h" + string(rune('a'+b.pick(3))),
			project.LabelImage: fuzzImageID,
		}
		if b.pick(6) == 0 {
			labels[project.LabelImage] = "sha256:old"
		}
		if b.pick(16) == 0 {
			labels[project.LabelOneOff] = project.OneOffTrue
		}
		name := project.ContainerName("p", svc, mustAtoi(number))
		if number == "x" {
			name = "p-" + svc + "-x"
		}
		if labels[project.LabelOneOff] == project.OneOffTrue {
			// `run` containers have their own names.
			name = project.OneOffName("p", svc, fmt.Sprintf("%012x", 4096+i))
		} else if b.pick(3) == 0 {
			// The prefix is the 12 first hex digits of the ID of the
			// container being replaced: never of the container itself (the
			// fake's IDs start with zeros).
			name = project.TemporaryName(fmt.Sprintf("f%011x", b.next()*7919+i), name)
		}
		spec := convergence.CreateSpec{Name: name, Spec: project.ContainerSpec{Image: fuzzImage, Labels: labels}}
		if netPresent && b.pick(4) != 0 {
			spec.PrimaryNetwork = "p_default"
		}
		if b.pick(4) == 0 {
			spec.Spec.Mounts = []project.Mount{{Type: project.MountVolume, Target: "/anon"}}
		}
		id, err := eng.CreateContainer(ctx, spec)
		if err != nil {
			// The name is taken (the engine keeps names unique): the
			// replacement an interrupted recreate of the holder left, named
			// after the holder's ID (the fake's IDs all start with 12
			// zeros), or some other duplicate.
			prefix := "000000000000"
			if b.pick(2) == 1 {
				prefix = fmt.Sprintf("e%011x", 1000+i)
			}
			spec.Name = project.TemporaryName(prefix, name)
			if id, err = eng.CreateContainer(ctx, spec); err != nil {
				continue
			}
		}
		state := "created"
		switch b.pick(3) {
		case 1:
			state = "running"
			err = eng.StartContainer(ctx, id)
		case 2:
			state = "exited"
			if err = eng.StartContainer(ctx, id); err == nil {
				err = eng.StopContainer(ctx, id, nil)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		sc.state = append(sc.state, fmt.Sprintf("container %s %s service=%s number=%s hash=%s image=%s oneoff=%s",
			spec.Name, state, svc, number, labels[project.LabelConfigHash], labels[project.LabelImage], labels[project.LabelOneOff]))
	}
	return sc
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (sc fuzzScenario) String() string {
	var b strings.Builder
	for _, s := range sc.p.Services {
		var deps []string
		for _, d := range s.DependsOn {
			deps = append(deps, d.Service)
		}
		fmt.Fprintf(&b, "want %s replicas=%d hash=%s deps=%v mounts=%d\n", s.Name, s.Replicas, s.ConfigHash, deps, len(s.Container.Mounts))
	}
	fmt.Fprintf(&b, "disabled %v, volumes %d, opts %+v\n", sc.p.DisabledServices, len(sc.p.Volumes), sc.opts)
	for _, s := range sc.state {
		b.WriteString("have " + s + "\n")
	}
	return b.String()
}

func FuzzPlan(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 3, 1, 2, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		eng := fakeengine.New(map[string]string{fuzzImage: fuzzImageID})
		sc := decodeScenario(t, data, eng)

		obs, err := convergence.Observe(ctx, eng, sc.p)
		if err != nil {
			t.Fatalf("observe: %v\n%s", err, sc)
		}
		plan, err := convergence.PlanUp(sc.p, obs, sc.opts)
		if err != nil {
			t.Fatalf("plan: %v\n%s", err, sc)
		}
		x := &convergence.Executor{Engine: eng, Parallel: 4}
		if err := x.Apply(ctx, plan); err != nil {
			t.Fatalf("apply: %v\nplan:\n%s\n%s", err, plan, sc)
		}
		checkConverged(t, ctx, eng, sc, plan)

		// A second up finds nothing to do.
		obs, err = convergence.Observe(ctx, eng, sc.p)
		if err != nil {
			t.Fatalf("second observe: %v", err)
		}
		opts := sc.opts
		opts.ForceRecreate = false
		again, err := convergence.PlanUp(sc.p, obs, opts)
		if err != nil {
			t.Fatalf("second plan: %v\n%s", err, sc)
		}
		if s := again.String(); s != "" {
			t.Fatalf("second up is not a no-op:\n%s\nfirst plan:\n%s\nengine after:\n%s\n%s", s, plan, strings.Join(eng.Names(), "\n"), sc)
		}
	})
}

// checkConverged asserts the engine holds exactly the desired replicas.
func checkConverged(t *testing.T, ctx context.Context, eng *fakeengine.Engine, sc fuzzScenario, plan *convergence.Plan) {
	t.Helper()
	cs, err := eng.ListContainers(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nplan:\n%s\nengine after:\n%s\n%s", append(args, plan, strings.Join(eng.Names(), "\n"), sc)...)
	}
	byService := map[string][]convergence.Container{}
	for _, c := range cs {
		if c.Labels[project.LabelOneOff] == project.OneOffTrue {
			continue
		}
		byService[c.Labels[project.LabelService]] = append(byService[c.Labels[project.LabelService]], c)
	}
	for i := range sc.p.Services {
		svc := &sc.p.Services[i]
		got := byService[svc.Name]
		delete(byService, svc.Name)
		if sc.opts.Services != nil && !fuzzContains(sc.opts.Services, svc.Name) {
			continue // not converged by this up
		}
		if len(got) != svc.Replicas {
			fail("service %s: %d containers, want %d", svc.Name, len(got), svc.Replicas)
		}
		seen := map[int]bool{}
		for _, c := range got {
			n, err := strconv.Atoi(c.Labels[project.LabelNumber])
			switch {
			case err != nil || n < 1:
				fail("service %s: container %s has number %q", svc.Name, c.Name, c.Labels[project.LabelNumber])
			case seen[n]:
				fail("service %s: number %d is used twice", svc.Name, n)
			case c.Name != sc.p.ReplicaName(svc, n):
				fail("service %s: container %s is not named %s", svc.Name, c.Name, sc.p.ReplicaName(svc, n))
			case c.State != "running":
				fail("service %s: container %s is %s, want running", svc.Name, c.Name, c.State)
			case sc.opts.NoRecreate:
				// Outdated replicas are kept as they are.
				seen[n] = true
				continue
			case c.Labels[project.LabelConfigHash] != svc.ConfigHash:
				fail("service %s: container %s has hash %s, want %s", svc.Name, c.Name, c.Labels[project.LabelConfigHash], svc.ConfigHash)
			case c.ImageID != fuzzImageID || c.Labels[project.LabelImage] != fuzzImageID:
				fail("service %s: container %s runs image %s (label %s), want %s", svc.Name, c.Name, c.ImageID, c.Labels[project.LabelImage], fuzzImageID)
			}
			if _, ok := c.Networks["p_default"]; !ok {
				fail("service %s: container %s is not connected to p_default", svc.Name, c.Name)
			}
			seen[n] = true
		}
	}
	// What is left are containers of services that are not enabled: they
	// are removed with --remove-orphans, else left alone.
	var left []string
	for svc, group := range byService {
		for _, c := range group {
			left = append(left, svc+":"+c.Name)
		}
	}
	sort.Strings(left)
	if sc.opts.RemoveOrphans && sc.opts.Services == nil {
		for _, l := range left {
			if svc, _, _ := strings.Cut(l, ":"); !fuzzContains(sc.p.DisabledServices, svc) {
				fail("orphan %s survived --remove-orphans", l)
			}
		}
	}
	if _, err := eng.InspectNetwork(ctx, "p_default"); err != nil {
		fail("network p_default: %v", err)
	}
	for _, v := range sc.p.Volumes {
		if _, err := eng.InspectVolume(ctx, v.Name); err != nil {
			fail("volume %s: %v", v.Name, err)
		}
	}
}

func fuzzContains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
