package cli

import (
	"fmt"
	"io"

	"github.com/mycompose/mycompose/convergence"
)

// plainProgress prints one line per state change, as Docker Compose's plain
// progress does: " Container p-web-1  Started".
func plainProgress(w io.Writer) func(convergence.Event) {
	return func(e convergence.Event) {
		line := fmt.Sprintf(" %s %s  %s", e.Object, e.Name, e.Status)
		if e.Detail != "" && e.Status != "Error" { // the error itself is printed once, at the end
			line += " (" + e.Detail + ")"
		}
		fmt.Fprintln(w, line)
	}
}
