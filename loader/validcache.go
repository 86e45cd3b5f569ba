package loader

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/schema"

	"github.com/mycompose/mycompose/internal/environ"
)

// The validation cache remembers, per machine and user, the inputs that
// compose-go's JSON-schema validation has already accepted, so that loading
// the same files again skips it. Compiling the compose-spec schema and
// validating against it is half of the CPU of a no-op `up` (and grows with
// the number of services); everything else of loading still runs on every
// call, and only a successful load is remembered, so a file that fails
// validation fails it every time, with the same message.
//
// An entry is the digest of everything the validated model is made of: the
// schema and the versions of the libraries that apply it, the working
// directory, each compose file's path and bytes, the values of the
// variables the files reference (as the process environment and the env
// files set them) and the load switches. Files that pull in other files
// (include, extends), that come from stdin, or that carry the obsolete
// `version` key (whose warning only validation prints) are never cached:
// the digest would not cover them.
//
// The cache is one small file, validcacheName, of at most validcacheMax
// digests, the newest last; it is rewritten by rename, so concurrent loads
// at worst forget an entry.
const (
	validcacheName = "validated"
	validcacheMax  = 256
	// validcacheSalt changes when the digest's recipe changes.
	validcacheSalt = "mycompose validation cache v1"
)

// validcache is the state of one load: the digest of its inputs and where
// the cache file lives; the zero value (no digest) caches nothing.
type validcache struct {
	path string
	key  string
}

// versionKey matches a top-level version key, whose obsolescence warning
// only validation prints.
var versionKey = lazyRegexp(`(?m)^["']?version["']?\s*:`)

// varRef matches every variable reference interpolation may resolve,
// nested defaults (${A:-${B}}) included; a $$-escaped one only makes the
// digest cover one variable more.
var varRef = lazyRegexp(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// newValidcache computes the digest of the load's inputs; it returns the
// zero validcache when the load cannot be cached or no cache directory is
// known.
func (s *session) newValidcache(po *cli.ProjectOptions) validcache {
	dir := environ.CacheDir(func(k string) string { return s.environ[k] })
	if dir == "" || s.environ[EnvValidationCache] == "0" || len(po.ConfigPaths) == 0 {
		return validcache{}
	}
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	write(validcacheSalt, libraryVersions())
	h.Write([]byte(schema.Schema))
	write(s.workingDir(po))
	o := s.opts
	write(strings.Join(boolFlags(o.NoInterpolate, o.NoNormalize, o.NoPathResolution, o.NoConsistency, o.NoEnvResolution, o.Swarm), ","))
	refs := map[string]bool{}
	for _, p := range po.ConfigPaths {
		if p == "-" {
			return validcache{}
		}
		data, err := os.ReadFile(p)
		if err != nil || bytes.Contains(data, []byte("include")) || bytes.Contains(data, []byte("extends")) ||
			(bytes.Contains(data, []byte("version")) && versionKey().Match(data)) {
			return validcache{}
		}
		write(p, string(data))
		for _, m := range varRef().FindAllSubmatch(data, -1) {
			refs[string(m[1])] = true
		}
	}
	// Interpolation is the only way the environment reaches the model
	// before validation, and it reads only the variables the files name.
	names := make([]string, 0, len(refs))
	for k := range refs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v, ok := po.Environment[k]
		write(k, strconv.FormatBool(ok), v)
	}
	return validcache{path: filepath.Join(dir, validcacheName), key: hex.EncodeToString(h.Sum(nil))}
}

// validcacheHits counts the loads that skipped validation, for tests.
var validcacheHits atomic.Int64

// EnvValidationCache set to 0 turns the validation cache off.
const EnvValidationCache = "MYCOMPOSE_VALIDATION_CACHE"

func boolFlags(bs ...bool) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = "f"
		if b {
			out[i] = "t"
		}
	}
	return out
}

// libraryVersions names the modules whose code validates, as built in.
var libraryVersions = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var b strings.Builder
	for _, m := range bi.Deps {
		if strings.HasPrefix(m.Path, "github.com/compose-spec/compose-go") || strings.HasPrefix(m.Path, "github.com/santhosh-tekuri/jsonschema") {
			if m.Replace != nil {
				m = m.Replace
			}
			b.WriteString(m.Path + "@" + m.Version + " ")
		}
	}
	return b.String()
})

// hit reports whether the inputs were validated before.
func (c validcache) hit() bool {
	if c.key == "" {
		return false
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return false
	}
	for line := range bytes.Lines(data) {
		if string(bytes.TrimSpace(line)) == c.key {
			return true
		}
	}
	return false
}

// record remembers the inputs as valid; errors are ignored (the cache is
// only a shortcut).
func (c validcache) record() {
	if c.key == "" {
		return
	}
	var keys []string
	if data, err := os.ReadFile(c.path); err == nil {
		for _, k := range strings.Fields(string(data)) {
			if k != c.key && len(k) == len(c.key) {
				keys = append(keys, k)
			}
		}
	}
	keys = append(keys, c.key)
	if len(keys) > validcacheMax {
		keys = keys[len(keys)-validcacheMax:]
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), validcacheName+".*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(strings.Join(keys, "\n") + "\n")
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), c.path) != nil {
		os.Remove(tmp.Name())
	}
}

// lazyRegexp compiles a pattern on its first use: most of the loader's
// patterns only explain errors, and compiling them all before main cost
// every command a millisecond.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
