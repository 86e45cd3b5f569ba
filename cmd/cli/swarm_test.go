package cli

import (
	"strings"
	"testing"
)

// The Swarm-only flags and commands are refused without --swarm, before
// any engine is contacted.
func TestSwarmOnlyUsage(t *testing.T) {
	dir := completionDir(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rollback", "web"}, "rollback works on Swarm services: add --swarm"},
		{[]string{"up", "-d", "--with-registry-auth"}, "apply to Swarm stacks: add --swarm"},
		{[]string{"up", "-d", "--resolve-image", "never"}, "apply to Swarm stacks: add --swarm"},
		{[]string{"--swarm", "up", "-d", "--resolve-image", "changed"}, `--resolve-image "changed": use always or never`},
	} {
		code, _, errs := runCLI(t, dir, []string{}, c.args...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error with %q", c.args, code, errs, c.want)
		}
	}
}
