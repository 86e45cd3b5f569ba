package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/containerd/console"
)

// confirmVolumeChanges asks before volumes whose configuration changed are
// recreated, because that deletes their data. Without a terminal on stdin it
// fails, naming the flag that gives consent.
func confirmVolumeChanges(deps *Deps, volumes []string) error {
	list := strings.Join(quoteAll(volumes), ", ")
	if !isTerminal(deps.Stdin) {
		return fmt.Errorf("volume %s exists with a different configuration than the compose file: recreating it deletes its data; run again with -y/--yes to recreate it, or revert the change", list)
	}
	fmt.Fprintf(deps.Stderr, "Volume %s exists but does not match the compose file. Recreate it (its data will be lost)? [y/N] ", list)
	answer, _ := bufio.NewReader(deps.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("volume %s kept as it is: nothing was changed", list)
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := console.ConsoleFromFile(f)
	return err == nil
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
