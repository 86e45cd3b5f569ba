package loader

import (
	"fmt"
	"io"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/docker/cli/pkg/kvfile"
)

// The `raw` env_file format is registered by the Docker Compose CLI, not by
// compose-go: a file read as `docker run --env-file` reads it (no quotes
// removed, no interpolation). We register the same parser.
func init() {
	dotenv.RegisterFormat("raw", func(r io.Reader, filename string, vars map[string]string, lookup func(string) (string, bool)) error {
		lines, err := kvfile.ParseFromReader(r, lookup)
		if err != nil {
			return fmt.Errorf("env_file %s (format raw): %w", filename, err)
		}
		for _, line := range lines {
			k, v, _ := strings.Cut(line, "=")
			vars[k] = v
		}
		return nil
	})
}
