package loader

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Loading is bounded whatever the route: a compose file can make compose-go
// work for minutes (a "billion laughs" of YAML aliases) or recurse forever,
// and such a file may arrive through -f, -f -, include: or extends.file.

// maxComposeFiles bounds how many files (includes and extends) are checked.
const maxComposeFiles = 256

// maxStdin bounds a compose file read from stdin.
const maxStdin = 16 << 20

// whileLoading runs fn and returns its result, or returns as soon as ctx is
// done (SIGINT, SIGTERM) without waiting for it: compose-go does not watch
// the context while it expands a file, and the process is about to exit.
func whileLoading[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("loading the compose project stopped: %w", ctx.Err())
	}
}

// checkAliases refuses YAML aliases that contain themselves or expand
// without bound, in the compose files and in every local file they
// include (include:) or extend (extends.file), transitively. compose-go
// v2.9.1 follows aliases before yaml.v3's decoder can refuse them, and
// recurses forever on `a: &x {<<: *x}` (a stack overflow, which no recover
// catches) or for minutes on a "billion laughs" document. A file that is
// not valid YAML for another reason is left to compose-go, which reports it.
func (s *session) checkAliases(files []string) error {
	seen := map[string]bool{}
	queue := append([]string(nil), files...)
	for len(queue) > 0 && len(seen) < maxComposeFiles {
		f := queue[0]
		queue = queue[1:]
		if seen[f] {
			continue
		}
		seen[f] = true
		var data []byte
		var err error
		dir := filepath.Dir(f)
		if f == "-" {
			data, err = s.stdinFile()
			dir = s.cwd
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			continue // compose-go reports what it cannot read
		}
		if err := decodeAll(data); err != nil {
			if strings.Contains(err.Error(), "contains itself") || strings.Contains(err.Error(), "excessive aliasing") {
				line, text, _ := yamlProblem(data)
				return &composeError{msg: fmt.Sprintf("%s:%d: %s", s.display(f), line, text), err: err}
			}
			continue
		}
		queue = append(queue, s.referencedFiles(data, dir)...)
	}
	return nil
}

// stdinFile reads the compose file given as "-" once, and puts it back on
// os.Stdin for compose-go, which reads it from there.
func (s *session) stdinFile() ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(os.Stdin, maxStdin+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStdin {
		return nil, fmt.Errorf("the compose file on stdin is larger than %d bytes", maxStdin)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	go func() {
		io.Copy(w, bytes.NewReader(data))
		w.Close()
	}()
	os.Stdin = r
	return data, nil
}

// referencedFiles lists the local files a compose file includes or extends,
// resolved against dir; ${VAR} in their paths is expanded from the session
// environment, and remote or still variable paths are skipped.
func (s *session) referencedFiles(data []byte, dir string) []string {
	var out []string
	add := func(v any) {
		p, ok := v.(string)
		if !ok || p == "" {
			return
		}
		p = os.Expand(p, func(k string) string {
			name, def, _ := strings.Cut(k, ":-")
			if v := s.environ[name]; v != "" {
				return v
			}
			return def
		})
		if strings.Contains(p, "$") || strings.Contains(p, "://") || strings.HasPrefix(p, "git@") {
			return
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out = append(out, filepath.Clean(p))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc map[string]any
		if dec.Decode(&doc) != nil {
			return out
		}
		if inc, ok := doc["include"].([]any); ok {
			for _, item := range inc {
				switch it := item.(type) {
				case string:
					add(it)
				case map[string]any:
					switch p := it["path"].(type) {
					case string:
						add(p)
					case []any:
						for _, x := range p {
							add(x)
						}
					}
				}
			}
		}
		if svcs, ok := doc["services"].(map[string]any); ok {
			for _, svc := range svcs {
				if m, ok := svc.(map[string]any); ok {
					if ext, ok := m["extends"].(map[string]any); ok {
						add(ext["file"])
					}
				}
			}
		}
	}
}
