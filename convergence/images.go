package convergence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/mycompose/mycompose/project"
)

// ImageStore is what pulling and pushing need from an engine. It is separate
// from Engine so that convergence proper stays as narrow as it is.
// Implementations: dockerengine and fakeengine.
type ImageStore interface {
	// PullImage pulls ref from its registry, for platform ("os/arch[/variant]",
	// "" for the engine's own), with the credentials the user keeps for that
	// registry (~/.docker/config.json or DOCKER_CONFIG, credential helpers).
	// progress, when not nil, receives the engine's per-layer events.
	PullImage(ctx context.Context, ref, platform string, progress func(PullEvent)) (PulledImage, error)
	// PushImage pushes a local image to the registry its reference names and
	// returns the pushed manifest digest.
	PushImage(ctx context.Context, ref string, progress func(PullEvent)) (string, error)
}

// DigestResolver resolves an image reference to the digest its registry
// serves now (config --resolve-image-digests, publish).
type DigestResolver interface {
	// ResolveDigest returns ref pinned to its registry's current manifest
	// digest: "docker.io/library/busybox:latest@sha256:...".
	ResolveDigest(ctx context.Context, ref string) (string, error)
}

// PullEvent is one progress message of a pull or push, as the engine sends
// it: per layer (Layer set) or for the whole image.
type PullEvent struct {
	Ref string
	// Layer is the short layer ID, "" for image-level messages.
	Layer string
	// Status is the engine's word: "Pulling fs layer", "Waiting",
	// "Downloading", "Extracting", "Pull complete", "Already exists",
	// "Preparing", "Pushing", "Pushed", "Layer already exists", ...
	Status string
	// Current and Total are bytes, when the engine reports them.
	Current, Total int64
}

// PulledImage is the local image a pull produced.
type PulledImage struct {
	ID     string
	Digest string // repository digest, when the engine reports one
	Size   int64  // bytes, as `docker images` shows
}

// PullLog remembers when mycompose last pulled a reference, for the
// daily/weekly/every_<duration> policies (the engine keeps no pull time:
// an image's LastTagTime changes on `docker tag` only).
type PullLog interface {
	// LastPull is when ref was last pulled as imageID; zero when unknown.
	LastPull(ref, imageID string) time.Time
	// Record notes that ref was pulled as imageID at the given time.
	Record(ref, imageID string, at time.Time)
}

// Pull policies, as pull_policy, up --pull and pull --policy spell them.
const (
	PullMissing = "missing"
	PullAlways  = "always"
	PullNever   = "never"
	PullBuild   = "build"
	PullRefresh = "refresh" // daily, weekly, every_<duration>
)

// PullPolicy is a parsed pull policy.
type PullPolicy struct {
	Kind string // one of the Pull* constants
	// Every is the refresh period of PullRefresh.
	Every time.Duration
}

// everyRE is compose's every_<duration>: one or more <n><unit>, unit w d h m s.
var everyRE = regexp.MustCompile(`^every_((?:[0-9]+[wdhms])+)$`)
var everyPartRE = regexp.MustCompile(`([0-9]+)([wdhms])`)

// ParsePullPolicy parses a pull policy; "" is def. if_not_present and
// refresh (without pull_refresh_after) mean missing, as in compose-go.
func ParsePullPolicy(s, def string) (PullPolicy, error) {
	switch s {
	case "":
		return ParsePullPolicy(def, PullMissing)
	case PullMissing, "if_not_present", PullRefresh:
		return PullPolicy{Kind: PullMissing}, nil
	case PullAlways, PullNever, PullBuild:
		return PullPolicy{Kind: s}, nil
	case "daily":
		return PullPolicy{Kind: PullRefresh, Every: 24 * time.Hour}, nil
	case "weekly":
		return PullPolicy{Kind: PullRefresh, Every: 7 * 24 * time.Hour}, nil
	}
	m := everyRE.FindStringSubmatch(s)
	if m == nil {
		return PullPolicy{}, fmt.Errorf("invalid pull policy %q: use always, missing, never, build, daily, weekly or every_<duration> (every_12h, every_1d30m)", s)
	}
	unit := map[string]time.Duration{"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second}
	var d time.Duration
	for _, part := range everyPartRE.FindAllStringSubmatch(m[1], -1) {
		n, err := strconv.Atoi(part[1])
		if err != nil {
			return PullPolicy{}, fmt.Errorf("invalid pull policy %q: %w", s, err)
		}
		d += time.Duration(n) * unit[part[2]]
	}
	return PullPolicy{Kind: PullRefresh, Every: d}, nil
}

// NeedsPull decides whether an image is pulled: always pulls, never and
// build never do, missing pulls what is not present, and refresh pulls what
// is not present or was last pulled at least Every ago (or at an unknown
// time: lastPull zero).
func NeedsPull(policy PullPolicy, present bool, lastPull, now time.Time) bool {
	switch policy.Kind {
	case PullAlways:
		return true
	case PullNever, PullBuild:
		return false
	case PullRefresh:
		return !present || lastPull.IsZero() || !now.Before(lastPull.Add(policy.Every))
	}
	return !present
}

// ImagePull is one image to pull, once, for the services that use it.
type ImagePull struct {
	Ref      string
	Platform string
	Services []string
	Reason   string
}

// String renders the pull as a dry-run line.
func (p ImagePull) String() string {
	return fmt.Sprintf("pull image %s (%s)", p.Ref, p.Reason)
}

// PullPlanOptions tune PlanPulls.
type PullPlanOptions struct {
	// Services limits the plan to these services (nil: all).
	Services []string
	// Override replaces every service's pull_policy when set (up --pull,
	// pull --policy).
	Override string
	// Default is the policy of services without pull_policy: missing for
	// up, always for the pull command (as in Docker Compose).
	Default string
	Log     PullLog
	Now     time.Time
}

// PlanPulls decides which images to pull, one entry per reference and
// platform however many services share it. present maps references to
// local image IDs. It is pure. Services whose image is not pulled are
// returned in skipped with the reason, sorted by service.
func PlanPulls(p *project.Project, present map[string]string, opts PullPlanOptions) (pulls []ImagePull, skipped []ImagePull, err error) {
	inScope := map[string]bool{}
	for _, s := range opts.Services {
		inScope[s] = true
	}
	byKey := map[string]int{}
	for i := range p.Services {
		svc := &p.Services[i]
		ref := svc.Container.Image
		if ref == "" || (opts.Services != nil && !inScope[svc.Name]) {
			continue
		}
		raw, why := svc.PullPolicy, "pull_policy "
		if opts.Override != "" {
			raw, why = opts.Override, "policy "
		}
		policy, perr := ParsePullPolicy(raw, opts.Default)
		if perr != nil {
			return nil, nil, fmt.Errorf("service %q: %w", svc.Name, perr)
		}
		if svc.Build != nil && policy.Kind != PullAlways {
			continue // built, not pulled (see PlanBuilds)
		}
		id, ok := present[ref]
		var last time.Time
		if ok && opts.Log != nil {
			last = opts.Log.LastPull(ref, id)
		}
		if !NeedsPull(policy, ok, last, opts.Now) {
			reason := "already present"
			if policy.Kind == PullNever || policy.Kind == PullBuild {
				reason = why + policy.Kind
			} else if policy.Kind == PullRefresh {
				reason = "pulled " + roundDuration(opts.Now.Sub(last)) + " ago"
			}
			skipped = append(skipped, ImagePull{Ref: ref, Platform: svc.Container.Platform, Services: []string{svc.Name}, Reason: reason})
			continue
		}
		key := ref + "\x00" + svc.Container.Platform
		if i, ok := byKey[key]; ok {
			pulls[i].Services = append(pulls[i].Services, svc.Name)
			continue
		}
		reason := "missing"
		switch {
		case policy.Kind == PullAlways:
			reason = why + "always"
		case ok && policy.Kind == PullRefresh && last.IsZero():
			reason = why + raw + ": never pulled by mycompose"
		case ok && policy.Kind == PullRefresh:
			reason = why + raw + ": pulled " + roundDuration(opts.Now.Sub(last)) + " ago"
		}
		byKey[key] = len(pulls)
		pulls = append(pulls, ImagePull{Ref: ref, Platform: svc.Container.Platform, Services: []string{svc.Name}, Reason: reason})
	}
	sort.Slice(pulls, func(i, j int) bool { return pulls[i].Ref < pulls[j].Ref })
	return pulls, skipped, nil
}

// Puller runs pulls and pushes in parallel.
type Puller struct {
	Store ImageStore
	// Parallel bounds concurrent pulls (DefaultParallel when 0).
	Parallel int
	// Events receives one Pulling and one Pulled (or Error/Warning) event
	// per image; calls are serialized. nil: quiet.
	Events func(Event)
	// Progress receives the engine's per-layer events; calls are serialized.
	Progress func(PullEvent)
	// Log records successful pulls (nil: none).
	Log PullLog
	// IgnoreFailures reports failures as warnings and carries on.
	IgnoreFailures bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu sync.Mutex
}

func (pu *Puller) emit(e Event) {
	if pu.Events != nil {
		pu.mu.Lock()
		defer pu.mu.Unlock()
		pu.Events(e)
	}
}

func (pu *Puller) now() time.Time {
	if pu.Now != nil {
		return pu.Now()
	}
	return time.Now()
}

// Pull pulls each image once, in parallel. Unless IgnoreFailures, the first
// failure cancels the pulls still running and is returned (with the others
// joined); nothing is retried.
func (pu *Puller) Pull(ctx context.Context, pulls []ImagePull) error {
	return joinFirst(pu.run(ctx, len(pulls), true, pu.pullOne(pulls)))
}

// PullEach pulls each image once, in parallel, and returns each pull's
// error (nil: pulled): a failure stops no other pull, so that up fails
// only the services of the images that could not be pulled.
func (pu *Puller) PullEach(ctx context.Context, pulls []ImagePull) []error {
	return pu.run(ctx, len(pulls), false, pu.pullOne(pulls))
}

func (pu *Puller) pullOne(pulls []ImagePull) func(context.Context, int) error {
	return func(ctx context.Context, i int) error {
		pl := pulls[i]
		pu.emit(Event{Object: ObjectImage, Name: pl.Ref, Status: StatusPulling})
		start := pu.now()
		img, err := pu.Store.PullImage(ctx, pl.Ref, pl.Platform, pu.progress())
		if err != nil {
			return pu.failed(pl.Ref, err)
		}
		if pu.Log != nil {
			pu.Log.Record(pl.Ref, img.ID, pu.now())
		}
		pu.emit(Event{Object: ObjectImage, Name: pl.Ref, Status: StatusPulled,
			Detail: fmt.Sprintf("%s in %s", FormatBytes(img.Size), roundDuration(pu.now().Sub(start)))})
		return nil
	}
}

// Push pushes each reference once, in parallel, with the same failure rules
// as Pull.
func (pu *Puller) Push(ctx context.Context, refs []string) error {
	return pu.each(ctx, len(refs), func(ctx context.Context, i int) error {
		ref := refs[i]
		pu.emit(Event{Object: ObjectImage, Name: ref, Status: StatusPushing})
		digest, err := pu.Store.PushImage(ctx, ref, pu.progress())
		if err != nil {
			return pu.failed(ref, err)
		}
		pu.emit(Event{Object: ObjectImage, Name: ref, Status: StatusPushed, Detail: digest})
		return nil
	})
}

func (pu *Puller) progress() func(PullEvent) {
	if pu.Progress == nil {
		return nil
	}
	return func(e PullEvent) {
		pu.mu.Lock()
		defer pu.mu.Unlock()
		pu.Progress(e)
	}
}

// failed reports a failure; ignored failures become warnings and nil.
// Cancelled pulls (another failed, or Ctrl-C) are not reported.
func (pu *Puller) failed(ref string, err error) error {
	switch {
	case errors.Is(err, context.Canceled):
	case pu.IgnoreFailures:
		pu.emit(Event{Object: ObjectImage, Name: ref, Status: StatusWarning, Detail: err.Error()})
		return nil
	default:
		pu.emit(Event{Object: ObjectImage, Name: ref, Status: StatusError, Detail: err.Error()})
	}
	return err
}

// each runs fn for 0..n-1 with bounded parallelism; the first error cancels
// the rest.
func (pu *Puller) each(ctx context.Context, n int, fn func(context.Context, int) error) error {
	return joinFirst(pu.run(ctx, n, true, fn))
}

// run runs fn for 0..n-1 with bounded parallelism and returns each one's
// error; with stopOnError the first error cancels the rest.
func (pu *Puller) run(ctx context.Context, n int, stopOnError bool, fn func(context.Context, int) error) []error {
	parallel := pu.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, parallel)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			if errs[i] = fn(ctx, i); errs[i] != nil && stopOnError {
				cancel()
			}
		}()
	}
	wg.Wait()
	return errs
}

// joinFirst is the error of a batch: the first real failure first;
// cancellations it caused are dropped.
func joinFirst(errs []error) error {
	var first, cancelled error
	var rest []error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			cancelled = cmp.Or(cancelled, err)
		case first == nil:
			first = err
		default:
			rest = append(rest, err)
		}
	}
	if first == nil || len(rest) == 0 {
		return cmp.Or(first, cancelled)
	}
	return errors.Join(append([]error{first}, rest...)...)
}

// MissingImageError is the planner's error for a service whose image is
// not present when a container must be created from it.
func MissingImageError(svc *project.Service) error {
	if svc.Build != nil {
		return fmt.Errorf("service %q: image %q has not been built: run `mycompose build %s`, or up without --no-build", svc.Name, svc.Container.Image, svc.Name)
	}
	switch svc.PullPolicy {
	case PullNever:
		return fmt.Errorf("service %q: image %q is not present on the engine and its pull_policy is never: pull it (`mycompose pull --policy always %s` or `docker pull %s`) or load it, then run again",
			svc.Name, svc.Container.Image, svc.Name, svc.Container.Image)
	case PullBuild:
		return fmt.Errorf("service %q: image %q is not present on the engine and its pull_policy is build, but the service has no build: section: add one, or build it with `docker build -t %s`",
			svc.Name, svc.Container.Image, svc.Container.Image)
	}
	return fmt.Errorf("service %q: image %q is not present on the engine: pull it (`mycompose pull %s`), build or load it, then run again",
		svc.Name, svc.Container.Image, svc.Name)
}

// FormatBytes renders bytes in decimal units with three significant digits,
// as the docker CLI does ("4.26MB").
func FormatBytes(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// roundDuration renders a duration for humans: 350ms, 1.2s, 3m4s, 26h0m0s.
func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
