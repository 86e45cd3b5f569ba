package loader

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// composeError is a compose-go error reworded to start with file[:line],
// still matching the original with errors.Is/As.
type composeError struct {
	msg string
	err error
}

func (e *composeError) Error() string { return e.msg }
func (e *composeError) Unwrap() error { return e.err }

// validationRE matches compose-go's schema errors, which name the file
// being merged and the key path: "validating FILE: services.web ...".
var validationRE = regexp.MustCompile(`^validating (.+?): (\S+) (.*)$`)

// additionalRE extracts the offending key of "additional properties 'x'".
var additionalRE = regexp.MustCompile(`^additional propert(?:y|ies) '([^']+)' not allowed`)

// keyPathREs find a key path in other compose-go messages, to point at it.
var keyPathREs = []*regexp.Regexp{
	regexp.MustCompile(`error while interpolating (\S+):`),
	regexp.MustCompile(`^(services\.[^:\s]+):`),
	regexp.MustCompile(`^service "([^"]+)"`),
}

// wrapComposeError makes a compose-go error start with the compose file
// (relative to the cwd when below it) and, when a key path can be found in
// the files, its line.
func (s *session) wrapComposeError(err error, files []string) error {
	msg := err.Error()
	if m := validationRE.FindStringSubmatch(msg); m != nil {
		path := strings.Split(m[2], ".")
		if a := additionalRE.FindStringSubmatch(m[3]); a != nil {
			path = append(path, a[1])
		}
		return &composeError{msg: s.locate([]string{m[1]}, path) + ": " + m[2] + " " + m[3], err: err}
	}
	for _, f := range files {
		if strings.Contains(msg, f) {
			return &composeError{msg: strings.ReplaceAll(msg, f, s.display(f)), err: err}
		}
	}
	if bad := unparsable(files); bad != "" {
		return &composeError{msg: s.display(bad) + ": " + msg, err: err}
	}
	for i, re := range keyPathREs {
		if m := re.FindStringSubmatch(msg); m != nil {
			path := strings.Split(m[1], ".")
			if i == len(keyPathREs)-1 {
				path = []string{"services", m[1]}
			}
			return &composeError{msg: s.locate(files, path) + ": " + msg, err: err}
		}
	}
	return &composeError{msg: s.fileList(files) + ": " + msg, err: err}
}

// locate renders "file:line" for the deepest match of path in files, or
// the file list when the path is not found (it may come from an included
// or extended file).
func (s *session) locate(files []string, path []string) string {
	if file, line, ok := newPositions(files).find(path, min(2, len(path))); ok {
		return fmt.Sprintf("%s:%d", s.display(file), line)
	}
	return s.fileList(files)
}

func (s *session) fileList(files []string) string {
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, s.display(f))
	}
	return strings.Join(names, ", ")
}

// unparsable returns the first file that is not valid YAML: compose-go
// reports some syntax errors without naming the file.
func unparsable(files []string) string {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var n yaml.Node
		if yaml.Unmarshal(data, &n) != nil {
			return f
		}
	}
	return ""
}
