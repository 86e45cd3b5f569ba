package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"

	"github.com/mycompose/mycompose/convergence"
)

// buildRecords keeps, for each engine and image reference, the digest of
// the inputs of the build that made the image and the image's ID: one
// small file per reference under the cache directory (builds/), replaced
// atomically, so that concurrent runs need no lock. Losing it only costs
// a build that BuildKit answers from its cache.
type buildRecords struct {
	dir      string // "" when no cache directory is known: nothing kept
	endpoint string
}

func openBuildRecords(deps *Deps, endpoint string) buildRecords {
	dir := cacheDir(deps)
	if dir != "" {
		dir = filepath.Join(dir, "builds")
	}
	return buildRecords{dir: dir, endpoint: endpoint}
}

func (r buildRecords) path(ref string) string {
	sum := sha256.Sum256([]byte(r.endpoint + "\x00" + ref))
	return filepath.Join(r.dir, hex.EncodeToString(sum[:16]))
}

// get returns the record of ref (zero when none).
func (r buildRecords) get(ref string) convergence.BuildRecord {
	if r.dir == "" {
		return convergence.BuildRecord{}
	}
	data, err := os.ReadFile(r.path(ref))
	if err != nil {
		return convergence.BuildRecord{}
	}
	digest, id, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	return convergence.BuildRecord{Digest: digest, ID: id}
}

// put records a build of ref; a failure only costs a build later.
func (r buildRecords) put(ref string, rec convergence.BuildRecord) error {
	if r.dir == "" || rec.Digest == "" || rec.ID == "" {
		return nil
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(r.dir, ".build-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(rec.Digest + " " + rec.ID + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), r.path(ref))
}
