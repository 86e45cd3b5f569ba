package convergence

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/mycompose/mycompose/project"
)

// Observed is the engine state of one project, read once before planning.
type Observed struct {
	Containers []Container
	Networks   []Network
	Volumes    []Volume
	// ImageIDs maps the image references the project uses to local image IDs.
	ImageIDs map[string]string
	// Engine is the engine's version and the negotiated API version, which
	// decide the API-gated keys and how containers join their networks.
	Engine EngineVersion
	// ImageErrors are, per service, the failed builds and pulls of the
	// images phase.
	ImageErrors map[string]error
}

// UpOptions tune PlanUp.
type UpOptions struct {
	// Services limits convergence to these services (nil: all). The caller
	// adds dependencies unless --no-deps.
	Services         []string
	ForceRecreate    bool
	NoRecreate       bool
	NoStart          bool
	RemoveOrphans    bool
	IgnoreOrphans    bool
	RenewAnonVolumes bool
	// RecreateVolumes consents to recreating volumes whose configuration
	// changed, which deletes their data (up -y).
	RecreateVolumes bool
	// ResourcesOnly plans the networks and volumes the services need and
	// nothing else (run --no-deps needs them for its one-off container).
	ResourcesOnly bool
	// PartialImages makes a service whose image is missing (and could not
	// be pulled) fail alone while the rest converges, as Compose's up and
	// create do; without it the whole plan is refused (dry run, run).
	PartialImages bool
	Timeout       *time.Duration
}

// planner carries the state of one PlanUp call.
type planner struct {
	p    *project.Project
	obs  Observed
	opts UpOptions
	plan *Plan
	// prereq are the network creations (and volume recreations) every
	// container waits for; volPrereq the creation of each volume, which
	// only the containers mounting it wait for, so that a volume the engine
	// refuses fails those services alone.
	prereq    []int
	volPrereq map[string]int
	// byService collects each service's container actions.
	byService map[string][]int
	// leftovers are, per replica number of the service being planned, the
	// removals of containers an interrupted recreate left: a new container
	// for that number may reuse their temporary name, so it waits for them.
	leftovers map[int][]int
	// volRecreate maps volumes being recreated to their action.
	volRecreate map[string]int
	// recreated are the services with at least one replica recreated.
	recreated map[string]bool
	// imageFailures are the errors of the services failed for their image.
	imageFailures []error
}

// PlanUp computes the actions that converge the engine to the project. It is
// pure: no I/O, inputs untouched, deterministic.
func PlanUp(p *project.Project, obs Observed, opts UpOptions) (*Plan, error) {
	if err := CheckAPI(p, opts.Services, obs.Engine); err != nil {
		return nil, err
	}
	pl := &planner{p: p, obs: obs, opts: opts, plan: &Plan{Project: p.Name}, byService: map[string][]int{}, recreated: map[string]bool{}}
	inScope := pl.scope()
	pl.planNetworks(inScope)
	pl.planVolumes()
	if opts.ResourcesOnly {
		return pl.plan, nil
	}
	levels, err := project.Levels(p.DependencyMap())
	if err != nil {
		return nil, err
	}
	for _, level := range levels {
		for _, name := range level {
			if !inScope[name] {
				continue
			}
			svc, _ := p.Service(name)
			if err := pl.planService(svc); err != nil {
				return nil, err
			}
			if len(svc.SwarmOnly) > 0 {
				pl.plan.Notes = append(pl.plan.Notes, fmt.Sprintf("service %q: %s: Swarm only, not applied here",
					svc.Name, strings.Join(svc.SwarmOnly, ", ")))
			}
		}
	}
	pl.planOrphans()
	if err := pl.onlyFailures(); err != nil {
		return nil, err
	}
	return pl.plan, nil
}

// onlyFailures refuses a plan in which every service with something to do
// fails for its image: nothing else would converge, so nothing is created
// (not even a network) and the errors are returned alone.
func (pl *planner) onlyFailures() error {
	if len(pl.imageFailures) == 0 {
		return nil
	}
	for _, a := range pl.plan.Actions {
		if a.Service != "" && a.Kind != FailService {
			return nil
		}
	}
	return errors.Join(pl.imageFailures...)
}

// failImage plans the failure of a service whose image is missing, or the
// refusal of the whole plan without PartialImages. The service's replicas
// are left as they are; its dependents are skipped.
func (pl *planner) failImage(svc *project.Service, err error) error {
	if !pl.opts.PartialImages {
		return err
	}
	pl.imageFailures = append(pl.imageFailures, err)
	reason := "image " + svc.Container.Image + " missing"
	var bf *buildFailure
	if errors.As(err, &bf) {
		reason = "image " + svc.Container.Image + " not built"
	}
	pl.byService[svc.Name] = []int{pl.add(Action{Kind: FailService, Name: pl.p.ReplicaName(svc, 1), Service: svc.Name,
		Reason: reason, Err: err})}
	return nil
}

func (pl *planner) scope() map[string]bool {
	in := map[string]bool{}
	if pl.opts.Services == nil {
		for _, s := range pl.p.Services {
			in[s.Name] = true
		}
		return in
	}
	for _, s := range pl.opts.Services {
		in[s] = true
	}
	return in
}

func (pl *planner) add(a Action) int {
	pl.plan.Actions = append(pl.plan.Actions, a)
	return len(pl.plan.Actions) - 1
}

func (pl *planner) planNetworks(inScope map[string]bool) {
	used := map[string]bool{}
	anyUse := map[string]bool{}
	for _, s := range pl.p.Services {
		for _, att := range s.Networks {
			anyUse[att.Key] = true
			if inScope[s.Name] {
				used[att.Key] = true
			}
		}
	}
	// The project holds networks no service uses only with --all-resources:
	// an up of the whole project creates them.
	if pl.opts.Services == nil {
		for _, n := range pl.p.Networks {
			if !anyUse[n.Key] {
				used[n.Key] = true
			}
		}
	}
	existing := map[string]bool{}
	for _, n := range pl.obs.Networks {
		if !existing[n.Name] {
			for _, extra := range duplicateNetworks(pl.obs.Networks, n.Name) {
				pl.prereq = append(pl.prereq, pl.add(Action{Kind: RemoveNetwork, Name: n.Name, NetworkID: extra,
					Reason: "duplicate left by an interrupted run"}))
			}
		}
		existing[n.Name] = true
	}
	for i := range pl.p.Networks {
		n := &pl.p.Networks[i]
		if n.External || !used[n.Key] || existing[n.Name] {
			continue
		}
		pl.prereq = append(pl.prereq, pl.add(Action{Kind: CreateNetwork, Name: n.Name, Reason: "missing", NetworkSpec: pl.networkSpec(n)}))
	}
	for _, n := range pl.obs.Networks {
		key := n.Key
		want, ok := pl.p.Network(key)
		if !ok || want.External || want.Name != n.Name || !used[key] || want.ConfigHash == "" ||
			n.ConfigHash == "" || n.ConfigHash == want.ConfigHash {
			continue
		}
		spec := pl.networkSpec(want)
		pl.prereq = append(pl.prereq, pl.add(Action{Kind: RecreateNetwork, Name: n.Name, NetworkID: n.ID,
			Reason: "config changed", NetworkSpec: spec, Attached: pl.attached(n.Name)}))
	}
}

func (pl *planner) networkSpec(n *project.Network) *NetworkSpec {
	return &NetworkSpec{
		Name: n.Name, Driver: n.Driver, DriverOpts: n.DriverOpts,
		Labels: pl.p.NetworkLabels(n), Internal: n.Internal,
		Attachable: n.Attachable, EnableIPv6: n.EnableIPv6, EnableIPv4: n.EnableIPv4, IPAM: n.IPAM,
	}
}

// attached lists the project's containers on a network, with the endpoint
// each must get back.
func (pl *planner) attached(network string) []AttachedContainer {
	var out []AttachedContainer
	for _, c := range sortedContainers(pl.obs.Containers) {
		if _, on := c.Networks[network]; !on {
			continue
		}
		ac := AttachedContainer{ID: c.ID, Name: c.Name, Running: c.State == "running"}
		if svc, ok := pl.p.Service(c.Service); ok {
			for _, att := range svc.Networks {
				if att.Name == network {
					ac.Endpoint = containerEndpoint(svc, att, c.Name)
				}
			}
		}
		out = append(out, ac)
	}
	return out
}

func (pl *planner) planVolumes() {
	existing := map[string]bool{}
	for _, v := range pl.obs.Volumes {
		existing[v.Name] = true
	}
	pl.volRecreate = map[string]int{}
	for i := range pl.p.Volumes {
		v := &pl.p.Volumes[i]
		if !v.External && existing[v.Name] && pl.volumeChanged(v) {
			pl.plan.VolumeChanges = append(pl.plan.VolumeChanges, v.Name)
			if pl.opts.RecreateVolumes {
				spec := &VolumeSpec{Name: v.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: pl.p.VolumeLabels(v)}
				i := pl.add(Action{Kind: RecreateVolume, Name: v.Name, Reason: "config changed, data deleted with consent", VolumeSpec: spec})
				pl.volRecreate[v.Name] = i
				pl.prereq = append(pl.prereq, i)
			}
			continue
		}
		if v.External || existing[v.Name] {
			continue
		}
		spec := &VolumeSpec{Name: v.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: pl.p.VolumeLabels(v)}
		if pl.volPrereq == nil {
			pl.volPrereq = map[string]int{}
		}
		pl.volPrereq[v.Name] = pl.add(Action{Kind: CreateVolume, Name: v.Name, Reason: "missing", VolumeSpec: spec})
	}
}

// createPrereqs are the actions a new container of spec waits for: every
// network creation, and the creation of the volumes it mounts.
func (pl *planner) createPrereqs(spec *project.ContainerSpec) []int {
	after := append([]int(nil), pl.prereq...)
	for _, m := range spec.Mounts {
		if i, ok := pl.volPrereq[m.Source]; ok && m.Type == project.MountVolume {
			after = append(after, i)
		}
	}
	return after
}

// volumeChanged reports whether the observed volume was created from
// another configuration. A volume without our hash label (created by hand or
// by an older tool) is taken as it is.
func (pl *planner) volumeChanged(v *project.Volume) bool {
	for _, o := range pl.obs.Volumes {
		if o.Name == v.Name {
			have := o.ConfigHash
			return have != "" && v.ConfigHash != "" && have != v.ConfigHash
		}
	}
	return false
}

// usesRecreatedVolume returns the first volume being recreated that c mounts.
func (pl *planner) usesRecreatedVolume(c Container) (string, bool) {
	for _, m := range c.Mounts {
		if _, ok := pl.volRecreate[m.Name]; ok && m.Type == project.MountVolume {
			return m.Name, true
		}
	}
	return "", false
}

// replica is an observed container of a service with the facts the planner
// decides on.
type replica struct {
	c        Container
	number   int
	obsolete string // why it must be recreated, "" when up to date
}

func (pl *planner) planService(svc *project.Service) error {
	if svc.ContainerName != "" && svc.Replicas > 1 {
		return fmt.Errorf("service %q: container_name %q cannot be used with %d replicas: container names must be unique; remove container_name or set replicas to 1",
			svc.Name, svc.ContainerName, svc.Replicas)
	}
	imageID := pl.obs.ImageIDs[svc.Container.Image]
	pl.leftovers = map[int][]int{}
	var reps []replica
	for _, c := range pl.obs.Containers {
		if c.Service != svc.Name || c.OneOff {
			continue
		}
		reps = append(reps, replica{c: c, number: c.Number, obsolete: pl.obsolete(svc, c, imageID)})
	}
	reps = pl.dedupe(svc, reps)
	sort.SliceStable(reps, func(i, j int) bool {
		oi, oj := reps[i].obsolete != "", reps[j].obsolete != ""
		if oi != oj {
			return !oi
		}
		return reps[i].number < reps[j].number
	})
	keep, remove := reps, []replica(nil)
	if len(reps) > svc.Replicas {
		keep, remove = reps[:svc.Replicas], reps[svc.Replicas:]
	}
	needsImage := len(keep) < svc.Replicas
	for _, r := range keep {
		_, onVolume := pl.usesRecreatedVolume(r.c)
		if (r.obsolete != "" && !pl.opts.NoRecreate) || onVolume {
			needsImage = true
		}
	}
	if err := pl.obs.ImageErrors[svc.Name]; err != nil {
		// The build or pull asked for failed: the service fails even when
		// an older image is present.
		return pl.failImage(svc, err)
	}
	if needsImage && imageID == "" {
		return pl.failImage(svc, MissingImageError(svc))
	}
	// A service that fails for its image is left as it is, extra replicas
	// included.
	sort.Slice(remove, func(i, j int) bool { return remove[i].number < remove[j].number })
	for _, r := range remove {
		pl.add(Action{Kind: RemoveContainer, Name: r.c.Name, ContainerID: r.c.ID, Service: svc.Name, Number: r.number,
			Reason: fmt.Sprintf("scale %d→%d", len(reps), svc.Replicas), Timeout: pl.opts.Timeout})
	}
	var idx []int
	var untouched []replica
	for _, r := range keep {
		if vol, ok := pl.usesRecreatedVolume(r.c); ok {
			// The volume can only be removed once no container uses it:
			// remove the replica, then create it again on the new volume.
			ri := pl.add(Action{Kind: RemoveContainer, Name: r.c.Name, ContainerID: r.c.ID, Service: svc.Name, Number: r.number,
				Reason: "volume " + vol + " is recreated", Timeout: pl.opts.Timeout})
			pl.plan.Actions[pl.volRecreate[vol]].After = append(pl.plan.Actions[pl.volRecreate[vol]].After, ri)
			idx = append(idx, pl.planCreate(svc, r.number, imageID, "volume "+vol+" recreated", nil))
			continue
		}
		if i, ok := pl.planReplica(svc, r, imageID); ok {
			idx = append(idx, i)
		} else if r.c.State == "running" {
			untouched = append(untouched, r)
		}
	}
	idx = append(idx, pl.planRestarts(svc, untouched)...)
	for _, n := range freeNumbers(reps, svc.Replicas-len(keep)) {
		idx = append(idx, pl.planCreate(svc, n, imageID, fmt.Sprintf("scale %d→%d", len(reps), svc.Replicas), nil))
	}
	pl.byService[svc.Name] = idx
	pl.wireDependencies(svc, idx)
	return nil
}

// obsolete says why container c no longer matches svc, or "".
func (pl *planner) obsolete(svc *project.Service, c Container, imageID string) string {
	if pl.opts.ForceRecreate {
		return "forced"
	}
	var why []string
	if !svc.HashUpToDate(c.ConfigHash) {
		why = append(why, changeReason(explainChange(c.Config, pl.p, svc)))
	}
	why = append(why, filesChanged(c.Config, pl.p, svc)...)
	if imageID != "" {
		current := c.CreatedFrom
		if current == "" {
			current = c.ImageID
		}
		if current != imageID {
			why = append(why, "image changed")
		}
	}
	why = append(why, volumesMismatch(svc, c)...)
	if c.Networks != nil && svc.Container.NetworkMode == "" {
		for _, att := range svc.Networks {
			if _, ok := c.Networks[att.Name]; !ok {
				// Left so by an interrupted run (killed between create and
				// connect) or a `docker network disconnect`.
				why = append(why, fmt.Sprintf("not connected to network %s", att.Name))
			}
		}
	}
	return strings.Join(why, ", ")
}

// volumesMismatch names the named-volume mounts of c that are not the
// engine volumes the file now asks for: an external volume's name: changed,
// say, which leaves the service's own definition (and hash) the same.
func volumesMismatch(svc *project.Service, c Container) []string {
	if c.Mounts == nil {
		return nil
	}
	have := map[string]string{}
	for _, m := range c.Mounts {
		if m.Type == project.MountVolume {
			have[m.Destination] = m.Name
		}
	}
	var why []string
	for _, m := range svc.Container.Mounts {
		if m.Type != project.MountVolume || m.Source == "" {
			continue
		}
		if got, ok := have[m.Target]; ok && got != m.Source {
			why = append(why, fmt.Sprintf("volume at %s is %s, the file wants %s", m.Target, got, m.Source))
		}
	}
	return why
}

// dedupe resolves replicas that share a number, which only an interrupted
// recreate leaves behind: the container with the canonical name wins, and
// the others are removed.
func (pl *planner) dedupe(svc *project.Service, reps []replica) []replica {
	byNumber := map[int][]replica{}
	for _, r := range reps {
		byNumber[r.number] = append(byNumber[r.number], r)
	}
	var out []replica
	numbers := make([]int, 0, len(byNumber))
	for n := range byNumber {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	for _, n := range numbers {
		group := byNumber[n]
		if len(group) == 1 && n > 0 {
			out = append(out, group[0])
			continue
		}
		winner := -1
		for i, r := range group {
			if n > 0 && r.c.Name == pl.p.ReplicaName(svc, n) {
				winner = i
			}
		}
		if winner < 0 && n > 0 {
			winner = newest(group)
		}
		for i, r := range group {
			if i == winner {
				out = append(out, r)
				continue
			}
			pl.leftovers[n] = append(pl.leftovers[n], pl.add(Action{Kind: RemoveContainer, Name: r.c.Name, ContainerID: r.c.ID,
				Service: svc.Name, Number: n, Reason: "leftover of an interrupted recreate", Timeout: pl.opts.Timeout}))
		}
	}
	return out
}

func newest(group []replica) int {
	best := 0
	for i, r := range group {
		if r.c.Created.After(group[best].c.Created) || (r.c.Created.Equal(group[best].c.Created) && r.c.ID > group[best].c.ID) {
			best = i
		}
	}
	return best
}

// freeNumbers returns the count lowest replica numbers that no observed
// container of the service holds.
func freeNumbers(reps []replica, count int) []int {
	used := map[int]bool{}
	for _, r := range reps {
		used[r.number] = true
	}
	var out []int
	for n := 1; len(out) < count; n++ {
		if !used[n] {
			out = append(out, n)
		}
	}
	return out
}

// planReplica plans what an existing replica to keep needs, if anything.
func (pl *planner) planReplica(svc *project.Service, r replica, imageID string) (int, bool) {
	name := pl.p.ReplicaName(svc, r.number)
	if r.obsolete != "" && !pl.opts.NoRecreate {
		return pl.planCreate(svc, r.number, imageID, r.obsolete, &r.c), true
	}
	if r.c.Name != name {
		return pl.add(Action{Kind: RenameContainer, Name: name, ContainerID: r.c.ID, Service: svc.Name, Number: r.number,
			Reason: "finish an interrupted recreate of " + r.c.Name}), true
	}
	if pl.opts.NoStart {
		return 0, false
	}
	switch r.c.State {
	case "created", "exited", "dead":
		return pl.add(Action{Kind: StartContainer, Name: name, ContainerID: r.c.ID, Service: svc.Name, Number: r.number,
			Reason: r.c.State, PublishesPorts: len(svc.Container.Ports) > 0}), true
	}
	return 0, false
}

// planCreate plans a new replica, or the replacement of old.
func (pl *planner) planCreate(svc *project.Service, number int, imageID, reason string, old *Container) int {
	name := pl.p.ReplicaName(svc, number)
	spec := svc.Container
	spec.Labels = pl.p.ContainerLabels(svc, number, imageID)
	a := Action{Kind: CreateContainer, Name: name, Service: svc.Name, Number: number, Reason: reason, NoStart: pl.opts.NoStart,
		PublishesPorts: len(spec.Ports) > 0, Timeout: pl.opts.Timeout,
		CreateAfter: append(pl.createPrereqs(&spec), pl.leftovers[number]...)}
	createName := name
	if old != nil {
		pl.recreated[svc.Name] = true
		a.Kind = RecreateContainer
		a.ContainerID = old.ID
		a.OldRunning = old.State == "running"
		createName = project.TemporaryName(old.ID, name)
		project.ReplaceLabel(spec.Labels, svc.Name, number)
		if !pl.opts.RenewAnonVolumes {
			spec.Mounts = inheritAnonymousVolumes(spec.Mounts, old.Mounts)
		}
	}
	a.Create = &CreateSpec{Name: createName, Spec: spec}
	if strings.HasPrefix(spec.NetworkMode, "service:") {
		a.NetworkModeService = strings.TrimPrefix(spec.NetworkMode, "service:")
		a.CreateAfter = append(a.CreateAfter, pl.byService[a.NetworkModeService]...)
		// The executor replaces this with the container that a planned
		// action creates for that service, if any.
		if c, ok := pl.firstReplica(a.NetworkModeService); ok {
			a.Create.NetworkMode = "container:" + c.ID
		}
	} else if spec.NetworkMode == "" && len(svc.Networks) > 0 {
		primary := svc.Networks[0]
		a.Create.PrimaryNetwork = primary.Name
		a.Create.PrimaryEndpoint = containerEndpoint(svc, primary, name)
		a.Create.PrimaryEndpoint.Links = serviceLinks(pl.p, svc, number)
		multi := APIAtLeast(pl.obs.Engine.API, MultiNetworkCreateAPI)
		for _, att := range svc.Networks[1:] {
			ne := NetworkEndpoint{Network: att.Name, Endpoint: containerEndpoint(svc, att, name)}
			if multi {
				a.Create.Networks = append(a.Create.Networks, ne)
			} else {
				a.Networks = append(a.Networks, ne)
			}
		}
	}
	return pl.add(a)
}

var anonymousVolumeName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// inheritAnonymousVolumes reuses the old container's anonymous volumes so
// that a recreate keeps their data: declared anonymous volumes take the old
// volume at the same target, and volumes the image declared are carried over
// as they were.
func inheritAnonymousVolumes(mounts []project.Mount, old []ContainerMount) []project.Mount {
	oldAnon := map[string]string{}
	for _, m := range old {
		if m.Type == project.MountVolume && anonymousVolumeName.MatchString(m.Name) {
			oldAnon[m.Destination] = m.Name
		}
	}
	if len(oldAnon) == 0 {
		return mounts
	}
	out := make([]project.Mount, 0, len(mounts)+len(oldAnon))
	targets := map[string]bool{}
	for _, m := range mounts {
		targets[m.Target] = true
		if m.Type == project.MountVolume && m.Source == "" && oldAnon[m.Target] != "" {
			m.Source = oldAnon[m.Target]
		}
		out = append(out, m)
	}
	dests := make([]string, 0, len(oldAnon))
	for d := range oldAnon {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	for _, d := range dests {
		if !targets[d] {
			out = append(out, project.Mount{Type: project.MountVolume, Source: oldAnon[d], Target: d})
		}
	}
	return out
}

// planRestarts restarts the running replicas of svc that nothing else
// touches when a dependency declared with `restart: true` is recreated, as
// Docker Compose does: the dependent reconnects to the new container.
func (pl *planner) planRestarts(svc *project.Service, untouched []replica) []int {
	var why []string
	for _, d := range svc.DependsOn {
		if d.Restart && pl.recreated[d.Service] {
			why = append(why, d.Service)
		}
	}
	if len(why) == 0 || pl.opts.NoStart {
		return nil
	}
	var idx []int
	for _, r := range untouched {
		idx = append(idx, pl.add(Action{Kind: RestartContainer, Name: r.c.Name, ContainerID: r.c.ID, Service: svc.Name,
			Number: r.number, Reason: "dependency " + strings.Join(why, ", ") + " recreated", Timeout: pl.opts.Timeout}))
	}
	return idx
}

// wireDependencies makes the main step of a service's actions wait for the
// actions of the services it depends on.
func (pl *planner) wireDependencies(svc *project.Service, idx []int) {
	var after []int
	var conds []project.Dependency
	for _, d := range svc.DependsOn {
		after = append(after, pl.byService[d.Service]...)
		if dep, ok := pl.p.Service(d.Service); ok && dep.Replicas > 0 &&
			(d.Condition == project.ConditionHealthy || d.Condition == project.ConditionCompleted) {
			conds = append(conds, d)
		}
	}
	sort.Ints(after)
	for _, i := range idx {
		a := &pl.plan.Actions[i]
		if a.Kind == RemoveContainer {
			continue
		}
		if len(after) > 0 {
			a.After = append([]int(nil), after...)
		}
		a.Conditions = conds
	}
}

func (pl *planner) planOrphans() {
	known := map[string]bool{}
	for _, s := range pl.p.Services {
		known[s.Name] = true
	}
	for _, s := range pl.p.DisabledServices {
		known[s] = true
	}
	var names []string
	for _, c := range sortedContainers(pl.obs.Containers) {
		if known[c.Service] || c.OneOff {
			continue
		}
		if pl.opts.RemoveOrphans {
			pl.add(Action{Kind: RemoveContainer, Name: c.Name, ContainerID: c.ID, Service: c.Service,
				Reason: "orphan", Timeout: pl.opts.Timeout})
			continue
		}
		names = append(names, c.Name)
	}
	if len(names) > 0 && !pl.opts.IgnoreOrphans {
		pl.plan.Warnings = append(pl.plan.Warnings, fmt.Sprintf(
			"found orphan containers (%s) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up",
			strings.Join(names, ", ")))
	}
}

// firstReplica returns the lowest-numbered observed replica of a service.
func (pl *planner) firstReplica(service string) (Container, bool) {
	var best Container
	bestN := 0
	for _, c := range pl.obs.Containers {
		if c.Service != service || c.OneOff {
			continue
		}
		if bestN == 0 || c.Number < bestN {
			best, bestN = c, c.Number
		}
	}
	return best, bestN != 0
}

func sortedContainers(cs []Container) []Container {
	out := append([]Container(nil), cs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
