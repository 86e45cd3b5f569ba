package convergence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/mycompose/mycompose/project"
)

// A build whose inputs are those of the build that made the image its tags
// name now is skipped: BuildKit would answer it from its cache with that
// same image, after a round trip of a tenth of a second or more per image
// (a no-change `up --build` of ten services would spend most of its time
// there). The inputs are everything the builder reads that is not the
// builder's own cache: the Dockerfile's text, the build options, every
// context file's metadata, and the IDs of the images the Dockerfile names.
// Whatever cannot be pinned down that way (a remote context, ADD of a URL,
// a FROM with a variable, an additional context, no_cache, pull, a cache
// export, a platform) is always built.

// BuildInputs is what a skip decision reads from the host for one build.
type BuildInputs struct {
	// Blocker says why the build is always run ("" when it may be skipped).
	Blocker string
	// Dockerfile is the Dockerfile's text.
	Dockerfile []byte
	// Files are the context's files, sorted by path.
	Files []FileStamp
	// Images are the images the Dockerfile reads (FROM, COPY --from,
	// RUN --mount from=) that are not its own stages.
	Images []string
}

// FileStamp is one context file's metadata. The change time moves on any
// change of content, mode, owner or extended attributes, and a replaced
// file (an editor's atomic save) has a new inode: stamps equal means the
// file is the one the builder saw.
type FileStamp struct {
	Path  string `json:"p"`
	Mode  uint32 `json:"m"`
	Size  int64  `json:"s"`
	MTime int64  `json:"t"`
	CTime int64  `json:"c"`
	Inode uint64 `json:"i"`
	Link  string `json:"l,omitempty"`
}

// BuildRecord is the build that made an image: the digest of its inputs
// and the image ID it produced.
type BuildRecord struct {
	Digest string
	ID     string
}

// skipBlocker says why req is always built whatever its inputs, or "". Pure.
func skipBlocker(req BuildRequest) string {
	b := req.Build
	switch {
	case req.Build == nil:
		return "no build"
	case b.Remote != "":
		return "remote context"
	case b.NoCache || len(b.NoCacheFilter) > 0:
		return "no_cache"
	case b.Pull:
		return "pull"
	case len(b.CacheFrom) > 0 || len(b.CacheTo) > 0:
		return "cache_from/cache_to"
	case len(b.AdditionalContexts) > 0:
		return "additional_contexts"
	case req.Platform != "" || len(b.Platforms) > 0:
		return "platform"
	}
	return ""
}

// DockerfileImages returns the images a Dockerfile reads besides its own
// stages, sorted, or why they cannot be known without running the
// frontend (a variable in an image name, a stage platform, ADD of a URL, a
// syntax directive that picks another frontend). Pure.
func DockerfileImages(dockerfile []byte) ([]string, string) {
	if syntax, _, _, ok := parser.DetectSyntax(dockerfile); ok && syntax != "" {
		return nil, "# syntax directive"
	}
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return nil, "unparsable Dockerfile"
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, "unparsable Dockerfile"
	}
	own := map[string]bool{}
	set := map[string]bool{}
	ref := func(name string) string {
		switch {
		case name == "":
			return ""
		case strings.Contains(name, "$"):
			return "variable image name " + strconv.Quote(name)
		case own[strings.ToLower(name)]:
			return ""
		}
		if _, err := strconv.Atoi(name); err == nil {
			return "" // a stage index
		}
		if name != "scratch" {
			set[name] = true
		}
		return ""
	}
	for i, st := range stages {
		if st.Platform != "" {
			return nil, "FROM --platform"
		}
		if why := ref(st.BaseName); why != "" {
			return nil, why
		}
		for _, cmd := range st.Commands {
			var why string
			switch c := cmd.(type) {
			case *instructions.CopyCommand:
				why = ref(c.From)
			case *instructions.AddCommand:
				for _, src := range c.SourcePaths {
					if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") {
						return nil, "ADD of a URL"
					}
				}
			case *instructions.RunCommand:
				for _, m := range instructions.GetMounts(c) {
					if why = ref(m.From); why != "" {
						break
					}
				}
			}
			if why != "" {
				return nil, why
			}
		}
		own[strconv.Itoa(i)] = true
		if st.Name != "" {
			own[strings.ToLower(st.Name)] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, ""
}

// ReadBuildInputs reads what the skip decision of req needs: the
// Dockerfile, the context files' stamps (those .dockerignore leaves in;
// all of them when a Dockerfile-specific ignore file exists, which
// BuildKit would read instead) and the images the Dockerfile names.
func ReadBuildInputs(req BuildRequest) (BuildInputs, error) {
	var in BuildInputs
	if in.Blocker = skipBlocker(req); in.Blocker != "" {
		return in, nil
	}
	b := req.Build
	dfPath := ""
	if b.DockerfileInline != "" {
		in.Dockerfile = []byte(b.DockerfileInline)
	} else {
		dfPath = b.Dockerfile
		if dfPath == "" {
			dfPath = "Dockerfile"
		}
		if !filepath.IsAbs(dfPath) {
			dfPath = filepath.Join(b.Context, dfPath)
		}
		var err error
		if in.Dockerfile, err = os.ReadFile(dfPath); err != nil {
			return in, fmt.Errorf("read Dockerfile: %w", err)
		}
	}
	if in.Images, in.Blocker = DockerfileImages(in.Dockerfile); in.Blocker != "" {
		return in, nil
	}
	files, ok, err := contextStamps(b.Context, dfPath)
	if err != nil {
		return in, err
	}
	if !ok {
		in.Blocker = "no file change times on this system"
		return in, nil
	}
	in.Files = files
	return in, nil
}

// contextStamps lists the stamps of the context's files, sorted by path.
func contextStamps(dir, dockerfile string) ([]FileStamp, bool, error) {
	pm, err := ignoreMatcher(dir)
	if err != nil {
		return nil, false, err
	}
	if dockerfile != "" {
		if _, err := os.Lstat(dockerfile + ".dockerignore"); err == nil {
			pm = nil // BuildKit reads that one: take every file
		}
	}
	var out []FileStamp
	ok := true
	err = walkContext(dir, "", pm, func(path, rel string, d fs.DirEntry) error {
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := FileStamp{Path: rel, Mode: uint32(info.Mode())}
		if d.IsDir() {
			// A directory is its mode and its entries: its times move when
			// a file the builder does not read comes or goes.
			out = append(out, st)
			return nil
		}
		st.Size, st.MTime = info.Size(), info.ModTime().UnixNano()
		if st.CTime, st.Inode, ok = changeTime(info); !ok {
			return filepath.SkipAll
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if st.Link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		out = append(out, st)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("read build context %q: %w", dir, err)
	}
	return out, ok, nil
}

// InputsDigest is the digest of req's inputs, or "" when the build must
// run (a blocker, or an image the Dockerfile names that the engine does
// not have: the builder would pull it). images maps references to local
// image IDs. Build secrets and ssh agents count by name and source, not
// content: BuildKit's cache does not look at their content either. Pure.
func InputsDigest(req BuildRequest, in BuildInputs, images map[string]string) string {
	if in.Blocker != "" || req.Build == nil {
		return ""
	}
	b := *req.Build
	secrets := make([]string, len(b.Secrets))
	for i, s := range b.Secrets {
		secrets[i] = s.ID + "=" + s.File
	}
	b.Secrets = nil
	ids := make([]string, len(in.Images))
	for i, ref := range in.Images {
		if images[ref] == "" {
			return ""
		}
		ids[i] = ref + "=" + images[ref]
	}
	df := sha256.Sum256(in.Dockerfile)
	doc := struct {
		Scheme     string
		Builder    string
		Classic    bool
		Tags       []string
		Build      project.Build
		Secrets    []string
		Dockerfile string
		Images     []string
		Files      []FileStamp
	}{"mycompose build inputs 1", builderVersion(), req.Classic, req.Tags, b, secrets, hex.EncodeToString(df[:]), ids, in.Files}
	data, err := json.Marshal(doc)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// BuildUnchanged reports whether a build with digest can be skipped: the
// record says a build with these inputs made rec.ID, and every tag still
// names that image. Pure.
func BuildUnchanged(digest string, rec BuildRecord, tags []string, images map[string]string) bool {
	if digest == "" || rec.Digest != digest || rec.ID == "" {
		return false
	}
	for _, t := range tags {
		if images[t] != rec.ID {
			return false
		}
	}
	return true
}

// builderVersion is the Dockerfile frontend mycompose runs: another one
// may turn the same Dockerfile into another image.
func builderVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, m := range bi.Deps {
		if m.Path == "github.com/moby/buildkit" {
			return m.Version
		}
	}
	return bi.Main.Version
}
