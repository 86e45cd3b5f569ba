package loader

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/tree"
)

// third_party/compose-go patches tree.Path.Matches to compare in place;
// this checks it against upstream's split-and-compare on paths and
// patterns of the shapes the loader uses.
func splitMatches(p, pattern tree.Path) bool {
	parts, want := strings.Split(string(p), "."), strings.Split(string(pattern), ".")
	if len(parts) != len(want) {
		return false
	}
	for i, part := range parts {
		if want[i] != tree.PathMatchAll && want[i] != part {
			return false
		}
	}
	return true
}

func TestPathMatchesAsUpstream(t *testing.T) {
	paths := []string{"", "services", "services.web", "services.web.ports", "services.web.ports.[]",
		"services.web.ports.[].target", "services..x", ".", "services.", "*.web", "services.*", "a.b.c.d.e"}
	patterns := []string{"", "*", "services", "services.*", "services.*.ports", "services.*.ports.[]",
		"services.*.ports.[].target", "*.*", "*.*.*", "services..x", ".", "services.", "services.web.*",
		"a.*.c.*.e", "a.b.c.d"}
	for _, p := range paths {
		for _, q := range patterns {
			if got, want := tree.Path(p).Matches(tree.Path(q)), splitMatches(tree.Path(p), tree.Path(q)); got != want {
				t.Errorf("Path(%q).Matches(%q) = %v, upstream %v", p, q, got, want)
			}
		}
	}
}

func FuzzPathMatchesAsUpstream(f *testing.F) {
	f.Add("services.web.ports", "services.*.ports")
	f.Add("a..b", "a.*.b")
	f.Fuzz(func(t *testing.T, p, q string) {
		if got, want := tree.Path(p).Matches(tree.Path(q)), splitMatches(tree.Path(p), tree.Path(q)); got != want {
			t.Errorf("Path(%q).Matches(%q) = %v, upstream %v", p, q, got, want)
		}
	})
}
