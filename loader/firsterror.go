package loader

import (
	"context"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	cgloader "github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadRetries is how many more loads a failed load gets to find the error
// that comes first in the files.
const loadRetries = 16

// loadProject runs compose-go's load. compose-go stops at the first error
// it meets while walking the services in map order, so with two broken
// services the one it names changes from run to run. On error we load again
// a few times and keep the error located first in the files (file order,
// then line), so that the same files give the same message.
func (s *session) loadProject(ctx context.Context, po *cli.ProjectOptions) (*types.Project, error) {
	vc := s.newValidcache(po)
	hit := vc.hit()
	if hit {
		validcacheHits.Add(1)
		if err := cli.WithLoadOptions(cgloader.WithSkipValidation)(po); err != nil {
			return nil, err
		}
	}
	cp, err := po.LoadProject(ctx)
	if err == nil {
		if !hit {
			vc.record()
		}
		return cp, nil
	}
	best := s.wrapComposeError(err, po.ConfigPaths, po.Environment)
	bound, several := firstServiceBound(po.ConfigPaths)
	for range loadRetries {
		if ctx.Err() != nil || !several {
			break
		}
		// An error located before the second service of the first file
		// cannot be preceded by another: no need to look further.
		if f, l, ok := location(best.Error(), po.ConfigPaths); ok && f == 0 && l < bound {
			break
		}
		_, again := po.LoadProject(ctx)
		if again == nil {
			continue
		}
		if w := s.wrapComposeError(again, po.ConfigPaths, po.Environment); locatedBefore(w.Error(), best.Error(), po.ConfigPaths) {
			best = w
		}
	}
	return nil, best
}

// firstServiceBound returns the line of the second service key of the
// first file (0 when it has fewer), and whether the files declare several
// services in all.
func firstServiceBound(files []string) (int, bool) {
	pos := newPositions(files)
	names := map[string]bool{}
	bound := 0
	for i, f := range files {
		for _, root := range pos.roots(f) {
			for _, c := range children(root, "services") {
				for k := 0; k+1 < len(c.node.Content); k += 2 {
					key := c.node.Content[k]
					names[key.Value] = true
					if i == 0 && k == 2 && bound == 0 {
						bound = key.Line
					}
				}
			}
		}
	}
	return bound, len(names) > 1
}

// locatedBefore reports whether message a points at an earlier place of
// the compose files than b; unlocated messages come last, ties keep b.
func locatedBefore(a, b string, files []string) bool {
	fa, la, oka := location(a, files)
	fb, lb, okb := location(b, files)
	switch {
	case !oka:
		return false
	case !okb:
		return true
	case fa != fb:
		return fa < fb
	}
	return la < lb
}

// location reads the "FILE:LINE:" prefix the explainer gives a message:
// the file's index among files (matched by base name, as shown) and the line.
func location(msg string, files []string) (int, int, bool) {
	parts := strings.SplitN(msg, ":", 3)
	if len(parts) < 3 {
		return 0, 0, false
	}
	line, err := strconv.Atoi(parts[1])
	if err != nil {
		return 0, 0, false
	}
	for i, f := range files {
		if strings.HasSuffix(f, parts[0]) {
			return i, line, true
		}
	}
	return len(files), line, true
}
