package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"text/template"
)

// parseRowFormat accepts "table", "json" or a Go template for commands
// that print one row per object; the template is nil for the first two.
func parseRowFormat(format string) (*template.Template, error) {
	if format == "table" || format == "json" {
		return nil, nil
	}
	tmpl, err := template.New("format").Parse(format)
	if err != nil {
		return nil, usageError{fmt.Errorf("invalid --format %q: use table, json or a Go template such as '{{.Name}}': %v", format, err)}
	}
	return tmpl, nil
}

// printRows prints rows as JSON lines (format "json"), through tmpl, or as
// a table with the given header and one line per row.
func printRows[T any](w io.Writer, format string, tmpl *template.Template, rows []T, header string, line func(T) string) error {
	switch {
	case format == "json":
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	case tmpl != nil:
		for _, r := range rows {
			if err := tmpl.Execute(w, r); err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			fmt.Fprintln(w)
		}
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, header)
		for _, r := range rows {
			fmt.Fprintln(tw, line(r))
		}
		return tw.Flush()
	}
	return nil
}
