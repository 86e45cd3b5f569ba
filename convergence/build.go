package convergence

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/mycompose/mycompose/project"
)

// ImageBuilder builds images through the engine.
type ImageBuilder interface {
	// BuildImage builds req and returns the image ID. progress (which may
	// be nil) receives which builder runs, then the builder's steps.
	BuildImage(ctx context.Context, req BuildRequest, progress func(BuildProgress)) (string, error)
}

// BuildRequest is one image build.
type BuildRequest struct {
	Build *project.Build
	// Tags name the image: the service's image first, then build.tags.
	Tags []string
	// Platform is the one target platform ("" for the engine's own).
	Platform string
	// Classic asks for the classic builder even where BuildKit is there
	// (DOCKER_BUILDKIT=0).
	Classic bool
}

// Builders, as BuildProgress.Builder names them.
const (
	BuilderBuildKit = "buildkit"
	BuilderClassic  = "classic"
)

// BuildProgress is one update of a build: the builder chosen (first), or
// a step's state or output.
type BuildProgress struct {
	Builder string // set once, before any step
	// Step names the builder step ("[2/3] RUN make"); the classic builder
	// has one per Dockerfile instruction.
	Step string
	// State is StepRunning, StepDone, StepCached or StepError; empty for an
	// output chunk.
	State string
	// Output is one line the step printed.
	Output string
	// Detail is the step's duration when done, or its error.
	Detail string
}

// Build step states.
const (
	StepRunning = "Running"
	StepDone    = "Done"
	StepCached  = "Cached"
	StepError   = "Error"
)

// ErrBuildKitOnly marks a build that uses a key only BuildKit implements
// on an engine that builds with the classic builder.
var ErrBuildKitOnly = errors.New("needs BuildKit")

// ClassicUnsupported names the first key of b that the classic builder
// cannot honour, or "". Pure.
func ClassicUnsupported(b *project.Build) string {
	switch {
	case len(b.Secrets) > 0:
		return "secrets"
	case len(b.SSH) > 0:
		return "ssh"
	case len(b.CacheTo) > 0:
		return "cache_to"
	case len(b.AdditionalContexts) > 0:
		return "additional_contexts"
	case b.Privileged || len(b.Entitlements) > 0:
		return "privileged/entitlements"
	case len(b.NoCacheFilter) > 0 && !b.NoCache:
		return "no_cache_filter"
	case b.Remote != "" && !strings.HasPrefix(b.Remote, "http"):
		return "context (git)"
	case Attests(b.Provenance) || Attests(b.SBOM):
		return "provenance/sbom"
	}
	return ""
}

// inlineDockerfile is where a dockerfile_inline is placed in the context.
const inlineDockerfile = ".mycompose.inline.Dockerfile"

// BuildOptions are up's and build's flags.
type BuildOptions struct {
	Services []string // nil: all
	Force    bool     // up --build, the build command: build even if present
	Never    bool     // up --no-build
	// Partial makes each service's build fail alone (up and create): the
	// Build hook builds the others and reports the failure in Built.Err,
	// and the planner fails that service as it does one whose pull failed.
	// Without it (the build command, run, a dry run) the first failure
	// fails the whole step.
	Partial bool
}

// PlanBuilds returns, sorted, the services whose image must be built:
// with Force every service with build:, else those whose image is missing
// or whose pull_policy is build... never with Never. present maps image
// references to local IDs. Pure.
func PlanBuilds(p *project.Project, present map[string]string, opts BuildOptions) []string {
	in := map[string]bool{}
	for _, s := range opts.Services {
		in[s] = true
	}
	var out []string
	for _, s := range p.Services {
		if s.Build == nil || opts.Never || (opts.Services != nil && !in[s.Name]) {
			continue
		}
		if opts.Force || present[s.Container.Image] == "" {
			out = append(out, s.Name)
		}
	}
	sort.Strings(out)
	return out
}

// ContextTar streams the build context of b as a tar, leaving out what
// .dockerignore excludes (except the Dockerfile and .dockerignore, which the
// engine always needs), and adds a dockerfile_inline as a file. It returns
// the Dockerfile path to give the engine.
func ContextTar(b *project.Build) (io.ReadCloser, string, error) {
	if err := CheckBuildInputs(b); err != nil {
		return nil, "", err
	}
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if b.DockerfileInline != "" {
		dockerfile = inlineDockerfile
	}
	pm, err := ignoreMatcher(b.Context)
	if err != nil {
		return nil, "", err
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeContext(pw, b, dockerfile, pm))
	}()
	return pr, filepath.ToSlash(dockerfile), nil
}

// CheckBuildInputs fails when the local context directory or the
// Dockerfile of b is missing, before any builder is asked.
func CheckBuildInputs(b *project.Build) error {
	if b.Remote != "" {
		return nil
	}
	info, err := os.Stat(b.Context)
	if err != nil || !info.IsDir() {
		return fmt.Errorf("build context %q is not a directory", b.Context)
	}
	if b.DockerfileInline != "" {
		return nil
	}
	name := b.Dockerfile
	if name == "" {
		name = "Dockerfile"
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(b.Context, path)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("build: Dockerfile %q not found in context %q", name, b.Context)
	}
	return nil
}

func ignoreMatcher(dir string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return patternmatcher.New(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	return patternmatcher.New(patterns)
}

func writeContext(w io.Writer, b *project.Build, dockerfile string, pm *patternmatcher.PatternMatcher) error {
	tw := tar.NewWriter(w)
	err := walkContext(b.Context, dockerfile, pm, func(path, rel string, d fs.DirEntry) error {
		info, err := d.Info()
		if err != nil {
			return err
		}
		return WriteTarEntry(tw, path, rel, info, false)
	})
	if err == nil && b.DockerfileInline != "" {
		err = tw.WriteHeader(&tar.Header{Name: inlineDockerfile, Mode: 0o644, Size: int64(len(b.DockerfileInline)), Typeflag: tar.TypeReg})
		if err == nil {
			_, err = io.WriteString(tw, b.DockerfileInline)
		}
	}
	if err != nil {
		return fmt.Errorf("tar build context %q: %w", b.Context, err)
	}
	return tw.Close()
}

// walkContext calls fn for every entry below dir (not dir itself) that pm
// (nil: none) does not leave out, with its slash-separated relative path;
// the Dockerfile (its path relative to dir) and .dockerignore are never
// left out: the builder always reads them.
func walkContext(dir, dockerfile string, pm *patternmatcher.PatternMatcher, fn func(path, rel string, d fs.DirEntry) error) error {
	// A context reached through a symlink is walked where it points:
	// WalkDir would take the link for a file and list nothing below it.
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if pm != nil && rel != dockerfile && rel != ".dockerignore" {
			if skip, _ := pm.MatchesOrParentMatches(rel); skip {
				if d.IsDir() && !pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		return fn(path, rel, d)
	})
}

// WriteTarEntry writes the file, directory or symlink at path into tw under
// name (a trailing "/" is added for directories). Without keepOwner the entry
// belongs to root: ownership on the host means nothing in an image or a
// container, as docker build and docker cp make it.
func WriteTarEntry(tw *tar.Writer, path, name string, info fs.FileInfo, keepOwner bool) error {
	link := ""
	if info.Mode()&os.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(path); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	if info.IsDir() {
		hdr.Name += "/"
	}
	if !keepOwner {
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}

// BuildRequestFor is the build of svc: its image, build.tags, and the
// platform from platform: or build.platforms.
// An additional context service:NAME becomes the image of NAME
// (docker-image://REF), which the engine has once NAME is built.
func BuildRequestFor(p *project.Project, svc *project.Service) BuildRequest {
	b := *svc.Build
	if len(b.AdditionalContexts) > 0 {
		b.AdditionalContexts = map[string]string{}
		for k, v := range svc.Build.AdditionalContexts {
			if name, ok := strings.CutPrefix(v, ServiceContext); ok {
				if dep, found := p.Service(name); found {
					v = "docker-image://" + dep.Container.Image
				}
			}
			b.AdditionalContexts[k] = v
		}
	}
	req := BuildRequest{Build: &b, Tags: append([]string{svc.Container.Image}, b.Tags...), Platform: svc.Container.Platform}
	if req.Platform == "" && len(b.Platforms) == 1 {
		req.Platform = b.Platforms[0]
	}
	return req
}

// ServiceContext is the additional_contexts prefix naming another
// service's image.
const ServiceContext = "service:"

// BuildDeps returns, for each service in names, the services of names it
// needs built first (its service:NAME additional contexts), sorted, or an
// error naming a cycle. Pure.
func BuildDeps(p *project.Project, names []string) (map[string][]string, error) {
	in := map[string]bool{}
	for _, n := range names {
		in[n] = true
	}
	deps := map[string][]string{}
	for _, n := range names {
		svc, _ := p.Service(n)
		if svc == nil || svc.Build == nil {
			continue
		}
		for _, v := range svc.Build.AdditionalContexts {
			if dep, ok := strings.CutPrefix(v, ServiceContext); ok && in[dep] {
				deps[n] = append(deps[n], dep)
			}
		}
		sort.Strings(deps[n])
	}
	// Depth-first search for a cycle, in sorted order for a stable message.
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("build contexts form a cycle: %s", strings.Join(append(path, n), " -> "))
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range deps[n] {
			if err := visit(d, append(path, n)); err != nil {
				return err
			}
		}
		state[n] = 2
		return nil
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, n := range sorted {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return deps, nil
}

// Attests reports whether a build.provenance or build.sbom value asks for
// an attestation ("" and "false" do not).
func Attests(v string) bool { return v != "" && v != "false" }

// ErrAttestations is wrapped by the refusal of build.provenance or
// build.sbom on an engine whose image store cannot keep attestations.
var ErrAttestations = errors.New("the engine's image store cannot keep attestations")
