package convergence

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/mycompose/mycompose/project"
)

// ImageBuilder builds images through the engine's build API.
type ImageBuilder interface {
	// BuildImage builds from a tarred context and returns the image ID;
	// progress receives the builder's output lines.
	BuildImage(ctx context.Context, req BuildRequest, progress func(line string)) (string, error)
}

// BuildRequest is one image build.
type BuildRequest struct {
	Context    io.Reader // tar stream of the build context
	Dockerfile string    // path inside the context
	Tag        string
	Args       map[string]string
	Target     string
	Labels     map[string]string
	NoCache    bool
	Pull       bool
}

// inlineDockerfile is where a dockerfile_inline is placed in the context.
const inlineDockerfile = ".mycompose.inline.Dockerfile"

// BuildOptions are up's and build's flags.
type BuildOptions struct {
	Services []string // nil: all
	Force    bool     // up --build, the build command: build even if present
	Never    bool     // up --no-build
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
	info, err := os.Stat(b.Context)
	if err != nil || !info.IsDir() {
		return nil, "", fmt.Errorf("build context %q is not a directory", b.Context)
	}
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if b.DockerfileInline != "" {
		dockerfile = inlineDockerfile
	} else if _, err := os.Stat(filepath.Join(b.Context, dockerfile)); err != nil {
		return nil, "", fmt.Errorf("build: Dockerfile %q not found in context %q", dockerfile, b.Context)
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
	err := filepath.WalkDir(b.Context, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(b.Context, path)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if rel != dockerfile && rel != ".dockerignore" {
			if skip, _ := pm.MatchesOrParentMatches(rel); skip {
				if d.IsDir() && !pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
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

// BuildRequestFor prepares the build of svc; the caller closes Context.
func BuildRequestFor(svc *project.Service) (BuildRequest, io.Closer, error) {
	ctx, dockerfile, err := ContextTar(svc.Build)
	if err != nil {
		return BuildRequest{}, nil, fmt.Errorf("service %q: %w", svc.Name, err)
	}
	return BuildRequest{
		Context: ctx, Dockerfile: dockerfile, Tag: svc.Container.Image, Args: svc.Build.Args,
		Target: svc.Build.Target, Labels: svc.Build.Labels, NoCache: svc.Build.NoCache, Pull: svc.Build.Pull,
	}, ctx, nil
}
