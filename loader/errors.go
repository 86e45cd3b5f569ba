package loader

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/format"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
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

// explainer rewords compose-go errors so that each line starts with the
// compose file and, when it can be found, the line of the offending key or
// value, then says what is wrong in the words of the compose file.
type explainer struct {
	s     *session
	files []string          // absolute compose files, in merge order
	env   map[string]string // the interpolation environment
	pos   *positions
}

// wrapComposeError rewords a compose-go error (see explainer). env is the
// interpolation environment, used to find which value failed to parse.
func (s *session) wrapComposeError(err error, files []string, env map[string]string) error {
	x := &explainer{s: s, files: files, env: env, pos: newPositions(files)}
	return &composeError{msg: x.relativize(x.explain(err.Error())), err: err}
}

// rules are tried in order; the first that recognizes the message wins.
var rules = []func(x *explainer, msg string) (string, bool){
	(*explainer).projectName,
	(*explainer).yamlSyntax,
	(*explainer).dotEnv,
	(*explainer).schema,
	(*explainer).decoding,
	(*explainer).interpolation,
	(*explainer).consistency,
	(*explainer).cycle,
	(*explainer).extends,
	(*explainer).valueSyntax,
	(*explainer).missingFile,
	(*explainer).mustBe,
	(*explainer).emptyFile,
	(*explainer).servicePrefix,
}

func (x *explainer) explain(msg string) string {
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ": invalid compose project")
	for _, rule := range rules {
		if out, ok := rule(x, msg); ok {
			return out
		}
	}
	if len(x.files) == 0 {
		return msg
	}
	return x.fileList() + ": " + msg
}

// relativize shows paths below the cwd relative to it, as the user typed them.
func (x *explainer) relativize(msg string) string {
	if x.s.cwd == "" || x.s.cwd == string(filepath.Separator) {
		return msg
	}
	return strings.ReplaceAll(msg, x.s.cwd+string(filepath.Separator), "")
}

func (x *explainer) fileList() string {
	names := make([]string, 0, len(x.files))
	for _, f := range x.files {
		names = append(names, x.s.display(f))
	}
	return strings.Join(names, ", ")
}

// at renders "file:line" for a hit.
func (x *explainer) at(h hit) string {
	return fmt.Sprintf("%s:%d", x.s.display(h.file), h.line)
}

// locate renders "file:line" for the deepest match of path (at least two
// segments, so never the bare `services:` line), or the file list.
func (x *explainer) locate(path []string) string {
	if file, line, ok := x.pos.find(path, min(2, len(path))); ok {
		return fmt.Sprintf("%s:%d", x.s.display(file), line)
	}
	return x.fileList()
}

// locateExact renders "file:line" of the node at path accepted by pred, and
// the concrete path; else it falls back to the deepest prefix of path.
func (x *explainer) locateExact(path []string, pred func(*yaml.Node) bool) (string, []string) {
	if h, ok := x.pos.match(path, pred); ok {
		return x.at(h), h.path
	}
	return x.locate(path), path
}

// --- project name

var invalidProjectNameRE = lazyRegexp(`^invalid project name "(.*)": `)

// projectName says where an invalid project name came from.
func (x *explainer) projectName(msg string) (string, bool) {
	const rule = "must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit"
	if m := invalidProjectNameRE().FindStringSubmatch(msg); m != nil {
		name := m[1]
		switch {
		case x.s.opts.ProjectName == name:
			return fmt.Sprintf("invalid project name %q (-p/--project-name): %s", name, rule), true
		case x.s.environ["COMPOSE_PROJECT_NAME"] == name:
			return fmt.Sprintf("invalid project name %q (COMPOSE_PROJECT_NAME): %s", name, rule), true
		}
		return fmt.Sprintf("invalid project name %q (COMPOSE_PROJECT_NAME, set in an env file): %s", name, rule), true
	}
	if msg == "project name must not be empty" {
		if h, ok := x.pos.match([]string{"name"}, nil); ok {
			return fmt.Sprintf("%s: name: project name %q has no letter or digit: it %s", x.at(h), h.node.Value, rule), true
		}
		if len(x.files) > 0 {
			dir := filepath.Base(filepath.Dir(x.files[0]))
			return fmt.Sprintf("the project is named after its directory %q, which has no letter or digit: name it with -p, COMPOSE_PROJECT_NAME or name:", dir), true
		}
	}
	return "", false
}

// --- YAML syntax

// yamlSyntax points at the first file that is not valid YAML. compose-go
// reports some syntax errors without the file, and yaml.v3 often reports
// the line where the enclosing block starts rather than the faulty line.
func (x *explainer) yamlSyntax(msg string) (string, bool) {
	if !strings.Contains(msg, "yaml: ") && !strings.HasPrefix(msg, "failed to parse ") &&
		!strings.Contains(msg, "top-level object must be a mapping") && !strings.Contains(msg, "cannot unmarshal") {
		return "", false
	}
	for _, f := range x.files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if line, text, ok := yamlProblem(data); ok {
			return fmt.Sprintf("%s:%d: %s", x.s.display(f), line, text), true
		}
	}
	return "", false
}

var yamlLineRE = lazyRegexp(`^(?:yaml: )?line (\d+): `)

// yamlProblem parses every document of data and describes the first
// problem: a syntax error, a duplicate key, or a document that is not a
// mapping.
func yamlProblem(data []byte) (int, string, bool) {
	if err := decodeAll(data); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			// "line 4: mapping key "web" already defined at line 2"
			if m := yamlLineRE().FindStringSubmatch(te.Errors[0]); m != nil {
				line, _ := strconv.Atoi(m[1])
				return line, "invalid YAML: " + te.Errors[0][len(m[0]):], true
			}
			return 1, "invalid YAML: " + te.Errors[0], true
		}
		text := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			text = err.Error()[len(m[0]):]
		}
		if l := problemLine(data, text); l > 0 {
			line = l
		}
		if strings.Contains(text, "tab character") {
			text += " (indent with spaces: YAML does not allow tabs)"
		}
		return max(line, 1), "invalid YAML: " + text, true
	}
	for _, root := range parseDocuments(data) {
		if root.Kind != yaml.MappingNode {
			return root.Line, fmt.Sprintf("the top level must be a mapping of keys (services:, networks:, volumes:...), not a %s", kindName(root)), true
		}
	}
	return 0, "", false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	}
	return "mapping"
}

// decodeAll decodes every document of data as compose-go does.
func decodeAll(data []byte) error {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// problemLine finds the line where a syntax error is: the first prefix of
// the file, in whole lines, that fails with the same message.
//
// Small files are scanned prefix by prefix. Larger ones are bisected, which
// assumes that once a prefix fails with the message, longer ones do too
// (the parser stops at the first error).
func problemLine(data []byte, text string) int {
	lines := strings.SplitAfter(string(data), "\n")
	fails := func(n int) bool {
		err := decodeAll([]byte(strings.Join(lines[:n], "")))
		if err == nil {
			return false
		}
		got := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
			got = err.Error()[len(m[0]):]
		}
		return got == text
	}
	if len(lines) <= 300 {
		for n := 1; n <= len(lines); n++ {
			if fails(n) {
				return n
			}
		}
		return 0
	}
	if !fails(len(lines)) {
		return 0
	}
	lo, hi := 1, len(lines) // fails(hi) holds
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// --- env files

var dotEnvRE = lazyRegexp(`(?s)^failed to read (.+?): line (\d+): (.*)$`)

// dotEnv turns "failed to read F: line N: msg" into "F:N: msg".
func (x *explainer) dotEnv(msg string) (string, bool) {
	m := dotEnvRE().FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	return fmt.Sprintf("%s:%s: %s", x.s.display(m[1]), m[2], m[3]), true
}

// --- schema validation

var (
	// "validating FILE: services.web additional properties 'x' not allowed"
	validationRE = lazyRegexp(`(?s)^validating (.+?): (\S*) (.*)$`)
	additionalRE = lazyRegexp(`^additional propert(?:y|ies) (.+) not allowed$`)
	quotedRE     = lazyRegexp(`'([^']*)'`)
	mustBeRE     = lazyRegexp(`^must be a (.*)$`)
	patternRE    = lazyRegexp(`^'(.*)' does not match pattern '(.*)'$`)
	oneOfRE      = lazyRegexp(`^value must be one of (.*)$`)
)

// namedSections are the mappings whose keys the user names: an "additional
// property" there is an invalid name, not an unknown key.
var namedSections = map[string]string{
	"services": "service", "networks": "network", "volumes": "volume", "secrets": "secret", "configs": "config",
}

// durationKeys hold durations: a number there needs a unit.
var durationKeys = map[string]bool{
	"interval": true, "timeout": true, "start_period": true, "start_interval": true, "stop_grace_period": true,
}

func (x *explainer) schema(msg string) (string, bool) {
	m := validationRE().FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	file, dotted, rest := m[1], m[2], m[3]
	var path []string
	if dotted != "" {
		path = strings.Split(dotted, ".")
	}
	x.pos = newPositions(append(x.filesBefore(file), file))
	var keys []string
	if a := additionalRE().FindStringSubmatch(rest); a != nil {
		for _, q := range quotedRE().FindAllStringSubmatch(a[1], -1) {
			keys = append(keys, q[1])
		}
		if len(keys) == 0 {
			keys = []string{a[1]}
		}
	} else if rest == "false schema" && len(path) > 0 {
		// compose-go v2.16's schema refuses an unknown service key through
		// a false subschema: the path ends with the key itself.
		keys = path[len(path)-1:]
		path = path[:len(path)-1]
		dotted = strings.Join(path, ".")
	}
	shown := schemaPath(path)
	if keys != nil {
		where := x.locate(append(append([]string(nil), path...), keys[0]))
		if what, ok := namedSections[dotted]; ok {
			return fmt.Sprintf("%s: invalid %s name %q: use only letters, digits, '.', '_' and '-'", where, what, keys[0]), true
		}
		owner := shown + ": "
		if dotted == "" {
			owner = "top level: "
		}
		var quoted []string
		for _, k := range keys {
			quoted = append(quoted, strconv.Quote(k))
		}
		noun := "unknown key "
		if len(keys) > 1 {
			noun = "unknown keys "
		}
		out := where + ": " + owner + noun + strings.Join(quoted, ", ")
		if s := suggestKey(path, keys[0]); s != "" {
			out += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return out, true
	}
	where := x.locate(path)
	if pm := patternRE().FindStringSubmatch(rest); pm != nil {
		return fmt.Sprintf("%s: %s: invalid value %q (expected %s)", where, shown, pm[1], unanchor(pm[2])), true
	}
	if om := oneOfRE().FindStringSubmatch(rest); om != nil {
		value := ""
		if h, ok := x.pos.match(path, func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode }); ok {
			value = fmt.Sprintf(" %q", h.node.Value)
		}
		return fmt.Sprintf("%s: %s: invalid value%s: use one of %s", where, shown, value, om[1]), true
	}
	if mb := mustBeRE().FindStringSubmatch(rest); mb != nil {
		rest = "must be " + article(humanType(mb[1]))
		if len(path) > 0 && durationKeys[path[len(path)-1]] {
			rest += ` (a duration with a unit, for example "30s" or "1m30s")`
		}
	}
	if dotted == "" {
		return where + ": " + rest, true
	}
	return where + ": " + shown + " " + rest, true
}

// filesBefore returns the compose files merged before file (the schema is
// checked after each merge, so the offending key may come from them).
func (x *explainer) filesBefore(file string) []string {
	var out []string
	for _, f := range x.files {
		if f == file {
			break
		}
		out = append(out, f)
	}
	return out
}

// schemaPath renders a dotted schema path with list indexes as [i].
func schemaPath(path []string) string {
	var b strings.Builder
	for i, seg := range path {
		if _, err := strconv.Atoi(seg); err == nil && i > 0 {
			b.WriteString("[" + seg + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

func humanType(t string) string {
	t = strings.ReplaceAll(t, "array", "list")
	return strings.ReplaceAll(t, "null", "empty value")
}

func article(t string) string {
	if t != "" && strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + t
	}
	return "a " + t
}

// --- decoding (mapstructure)

var decodingLineRE = lazyRegexp(`^'([^']*)' (.*)$`)

// decoding rewords "decoding failed due to the following error(s): 'services[web].shm_size' invalid suffix"
// into one located line per error.
func (x *explainer) decoding(msg string) (string, bool) {
	if !strings.HasPrefix(msg, "decoding failed") {
		return "", false
	}
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		m := decodingLineRE().FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		path := decodingPath(m[1])
		where, concrete := x.locateExact(path, nil)
		value := ""
		if h, ok := x.pos.match(concrete, func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode }); ok {
			value = h.node.Value
		}
		out = append(out, fmt.Sprintf("%s: %s: %s", where, keyPath(concrete), valueProblem(m[2], value)))
	}
	if len(out) == 0 {
		return "", false
	}
	return strings.Join(out, "\n"), true
}

// decodingPath splits "services[web].volumes[0].tmpfs.size".
func decodingPath(p string) []string {
	var out []string
	for _, seg := range strings.Split(p, ".") {
		for seg != "" {
			i := strings.IndexByte(seg, '[')
			if i < 0 {
				out = append(out, seg)
				break
			}
			if i > 0 {
				out = append(out, seg[:i])
			}
			j := strings.IndexByte(seg[i:], ']')
			if j < 0 {
				out = append(out, seg[i:])
				break
			}
			key := seg[i+1 : i+j]
			if _, err := strconv.Atoi(key); err == nil {
				key = "[" + key + "]"
			}
			out = append(out, key)
			seg = seg[i+j+1:]
		}
	}
	return out
}

// valueProblem words a conversion error of value.
func valueProblem(detail, value string) string {
	switch {
	case strings.HasPrefix(detail, "time: "):
		if value == "" {
			return "invalid duration: " + strings.TrimPrefix(detail, "time: ")
		}
		return fmt.Sprintf("invalid duration %q (use a number with a unit, for example 30s, 1m30s or 500ms)", value)
	case strings.HasPrefix(detail, "invalid suffix") || strings.HasPrefix(detail, "invalid size"):
		if value == "" {
			return "invalid byte size: " + detail
		}
		return fmt.Sprintf("invalid byte size %q (use a number with an optional unit b, k, m or g, for example 512m)", value)
	}
	return detail
}

// --- interpolation

var (
	interpolatingRE = lazyRegexp(`(?s)^error while interpolating (\S+): (.*)$`)
	invalidFormatRE = lazyRegexp(`(?s)^invalid interpolation format for (\S+?)\.?\nYou may need to escape any \$ with another \$\.\n(.*)$`)
	castRE          = lazyRegexp(`^failed to cast to expected type: (?:strconv\.(Atoi|ParseInt|ParseUint|ParseFloat): parsing "(.*)": .*|invalid boolean: (.*))$`)
	requiredRE      = lazyRegexp(`^required variable (\S+) is missing a value`)
)

func (x *explainer) interpolation(msg string) (string, bool) {
	if m := invalidFormatRE().FindStringSubmatch(msg); m != nil {
		tmpl := m[2]
		where, concrete := x.locateExact(interpolationPath(m[1]), valueIs(tmpl))
		return fmt.Sprintf("%s: %s: invalid interpolation format in %q: use ${VAR}, ${VAR:-default} or ${VAR:?message}, and write a literal $ as $$",
			where, keyPath(concrete), tmpl), true
	}
	m := interpolatingRE().FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	path, detail := interpolationPath(m[1]), m[2]
	if c := castRE().FindStringSubmatch(detail); c != nil {
		value, want := c[2], "an integer"
		switch {
		case c[1] == "ParseFloat":
			want = "a number"
		case c[1] == "":
			value, want = c[3], "a boolean (true or false)"
		}
		where, concrete := x.locateExact(path, valueIs(value))
		return fmt.Sprintf("%s: %s: %q must be %s", where, keyPath(concrete), value, want), true
	}
	var pred func(*yaml.Node) bool
	if r := requiredRE().FindStringSubmatch(detail); r != nil {
		pred = mentions(r[1])
	}
	where, concrete := x.locateExact(path, pred)
	return fmt.Sprintf("%s: %s: %s", where, keyPath(concrete), detail), true
}

// interpolationPath turns compose-go's "services.web.ports.[].target" into
// segments, "[]" standing for any list element.
func interpolationPath(p string) []string {
	return strings.Split(p, ".")
}

func valueIs(v string) func(*yaml.Node) bool {
	return func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Value == v }
}

// mentions accepts values that interpolate variable name.
func mentions(name string) func(*yaml.Node) bool {
	return func(n *yaml.Node) bool {
		for _, v := range scalars(n) {
			if strings.Contains(v, "${"+name) || strings.Contains(v, "$"+name) {
				return true
			}
		}
		return false
	}
}

// --- consistency (checkConsistency and friends)

var (
	dependsUndefinedRE = lazyRegexp(`^service "([^"]+)" depends on undefined service "([^"]+)"$`)
	refersUndefinedRE  = lazyRegexp(`^service "([^"]+)" refers to undefined (network|volume|config|secret|model) (\S+)$`)
	neitherImageRE     = lazyRegexp(`^service "([^"]+)" has neither an image nor a build context specified$`)
	exclusiveNetRE     = lazyRegexp("^service (\\S+) declares mutually exclusive `network_mode` and `networks`$")
	containerReplicaRE = lazyRegexp(`^services\.(scale|deploy\.replicas): can't set container_name and (\S+) as container name must be unique$`)
	distinctValuesRE   = lazyRegexp(`^services\.([^:\s]+): can't set distinct values on '([^']+)' and '([^']+)'$`)
)

func (x *explainer) consistency(msg string) (string, bool) {
	if m := dependsUndefinedRE().FindStringSubmatch(msg); m != nil {
		svc, dep := m[1], m[2]
		if h, ok := x.pos.match([]string{"services", svc, "depends_on", dep}, nil); ok {
			if _, defined := x.pos.match([]string{"services", dep, "profiles"}, nil); defined {
				return fmt.Sprintf("%s: service %q depends on service %q, which its profiles disable: enable one of them with --profile, or make the dependency optional (required: false)",
					x.at(h), svc, dep), true
			}
			return fmt.Sprintf("%s: service %q depends on undefined service %q", x.at(h), svc, dep), true
		}
		for _, key := range []string{"network_mode", "pid", "ipc"} {
			if h, ok := x.pos.match([]string{"services", svc, key}, valueIs("service:"+dep)); ok {
				return fmt.Sprintf("%s: service %q: %s %q refers to undefined service %q", x.at(h), svc, key, "service:"+dep, dep), true
			}
		}
		for _, key := range []string{"volumes_from", "links"} {
			if h, ok := x.pos.match([]string{"services", svc, key, "[]"}, refersTo(dep)); ok {
				return fmt.Sprintf("%s: service %q: %s refers to undefined service %q", x.at(h), svc, key, dep), true
			}
		}
		return fmt.Sprintf("%s: service %q depends on undefined service %q", x.locate([]string{"services", svc}), svc, dep), true
	}
	if m := refersUndefinedRE().FindStringSubmatch(msg); m != nil {
		svc, kind, name := m[1], m[2], m[3]
		where := ""
		switch kind {
		case "network":
			where, _ = x.locateExact([]string{"services", svc, "networks", name}, nil)
		case "model":
			where, _ = x.locateExact([]string{"services", svc, "models", name}, nil)
		default:
			where, _ = x.locateExact([]string{"services", svc, kind + "s", "[]"}, refersTo(name))
		}
		out := fmt.Sprintf("%s: service %q refers to undefined %s %q: declare it under the top-level %ss: key", where, svc, kind, name, kind)
		if kind == "volume" {
			out += fmt.Sprintf(" (or write ./%s for a bind mount of a directory)", name)
		}
		return out, true
	}
	if m := neitherImageRE().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s: service %q has no image: set image:, or build: to build one", x.locate([]string{"services", m[1]}), m[1]), true
	}
	if m := exclusiveNetRE().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s: service %q sets both network_mode and networks: keep one", x.locate([]string{"services", m[1], "networks"}), m[1]), true
	}
	if m := containerReplicaRE().FindStringSubmatch(msg); m != nil {
		// compose-go swaps the service and the key in this message.
		svc, key := m[2], m[1]
		return fmt.Sprintf("%s: service %q: container_name cannot be used with %s greater than 1: container names must be unique; remove container_name or use one replica",
			x.locate([]string{"services", svc, "container_name"}), svc, key), true
	}
	if m := distinctValuesRE().FindStringSubmatch(msg); m != nil {
		svc := m[1]
		path := append([]string{"services", svc}, strings.Split(m[3], ".")...)
		return fmt.Sprintf("%s: service %q: %s and %s have different values: set only one", x.locate(path), svc, m[2], m[3]), true
	}
	if strings.HasPrefix(msg, "healthcheck.test must start") {
		if h, ok := x.pos.match([]string{"services", "*", "healthcheck", "test"}, func(n *yaml.Node) bool {
			if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
				return false
			}
			switch n.Content[0].Value {
			case "CMD", "CMD-SHELL", "NONE":
				return false
			}
			return true
		}); ok {
			return fmt.Sprintf(`%s: %s: the test must start with "CMD", "CMD-SHELL" or "NONE", not %q (or be a string, run with the shell)`,
				x.at(h), keyPath(h.path), h.node.Content[0].Value), true
		}
		return x.fileList() + ": " + msg, true
	}
	return "", false
}

// refersTo accepts a reference to name: a scalar "name" or "name:...", or a
// mapping with source: name.
func refersTo(name string) func(*yaml.Node) bool {
	return func(n *yaml.Node) bool {
		switch n.Kind {
		case yaml.ScalarNode:
			v := strings.TrimPrefix(n.Value, "service:")
			return v == name || strings.HasPrefix(v, name+":")
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "source" && n.Content[i+1].Value == name {
					return true
				}
			}
		}
		return false
	}
}

// --- depends_on cycles

var cycleRE = lazyRegexp(`^dependency cycle detected: (.*)$`)

func (x *explainer) cycle(msg string) (string, bool) {
	m := cycleRE().FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	chain := rotateCycle(strings.Split(m[1], " -> "))
	if len(chain) < 2 {
		return "", false
	}
	where, _ := x.locateExact([]string{"services", chain[0], "depends_on", chain[1]}, nil)
	return fmt.Sprintf("%s: dependency cycle detected: %s: remove one of these depends_on", where, strings.Join(chain, " -> ")), true
}

// rotateCycle starts a cycle "a b c a" at its smallest name, so that the
// message does not depend on the order compose-go walked the services in.
func rotateCycle(chain []string) []string {
	if len(chain) < 2 || chain[0] != chain[len(chain)-1] {
		return chain
	}
	ring := chain[:len(chain)-1]
	start := 0
	for i, n := range ring {
		if n < ring[start] {
			start = i
		}
	}
	out := append(append([]string(nil), ring[start:]...), ring[:start]...)
	return append(out, out[0])
}

// --- extends

var extendsRE = lazyRegexp(`^cannot extend service "([^"]+)" in (.+): service "([^"]+)" not found$`)

var (
	circularLineRE = lazyRegexp(`^\s+(?:extends )?(\S+) in (.+)$`)
	includeLineRE  = lazyRegexp(`^\s*(?:include )?(.+)$`)
)

func (x *explainer) extends(msg string) (string, bool) {
	lines := strings.Split(msg, "\n")
	switch lines[0] {
	case "Circular reference:":
		// "  a in F", "  extends b in F", ...
		var chain []string
		for _, l := range lines[1:] {
			if m := circularLineRE().FindStringSubmatch(l); m != nil {
				chain = append(chain, m[1])
			}
		}
		if len(chain) < 2 {
			return "", false
		}
		chain = rotateCycle(chain)
		where, _ := x.locateExact([]string{"services", chain[0], "extends"}, nil)
		return fmt.Sprintf("%s: extends cycle: %s", where, strings.Join(chain, " extends ")), true
	case "include cycle detected:":
		var chain []string
		for _, l := range lines[1:] {
			if m := includeLineRE().FindStringSubmatch(l); m != nil {
				chain = append(chain, x.s.display(m[1]))
			}
		}
		where, _ := x.locateExact([]string{"include"}, nil)
		return fmt.Sprintf("%s: include cycle: %s", where, strings.Join(chain, " includes ")), true
	}
	m := extendsRE().FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	svc, target := m[1], m[3]
	where, _ := x.locateExact([]string{"services", svc, "extends", "service"}, nil)
	if !strings.Contains(where, ":") {
		where, _ = x.locateExact([]string{"services", svc, "extends"}, nil)
	}
	return fmt.Sprintf("%s: service %q extends service %q, which %s does not define", where, svc, target, x.s.display(m[2])), true
}

// --- values compose-go reports without their path

// valueParsers parse the short syntax of list entries compose-go transforms
// before it knows their path.
var valueParsers = []struct {
	key   string
	parse func(string) error
}{
	{"ports", func(v string) error { _, err := types.ParsePortConfig(v); return err }},
	{"volumes", func(v string) error { _, err := format.ParseVolume(v); return err }},
}

// valueSyntax finds the list entry whose parse fails with msg, trying each
// short-syntax entry of each service, interpolated as compose-go does.
func (x *explainer) valueSyntax(msg string) (string, bool) {
	for _, p := range valueParsers {
		var hits []hit
		for _, f := range x.files {
			for _, root := range x.pos.roots(f) {
				var hs []hit
				walkPath(root, []string{"services", "*", p.key, "[]"}, nil, 0, func(n *yaml.Node) bool {
					return n.Kind == yaml.ScalarNode
				}, &hs)
				for i := range hs {
					hs[i].file = f
				}
				hits = append(hits, hs...)
			}
		}
		for _, h := range hits {
			v, err := template.Substitute(h.node.Value, func(k string) (string, bool) { v, ok := x.env[k]; return v, ok })
			if err != nil {
				continue
			}
			if perr := p.parse(v); perr != nil && perr.Error() == msg {
				shown := fmt.Sprintf("%q", h.node.Value)
				if v != h.node.Value {
					shown += fmt.Sprintf(" (%q once interpolated)", v)
				}
				return fmt.Sprintf("%s: %s %s: %s", x.at(h), keyPath(h.path), shown, msg), true
			}
		}
	}
	return "", false
}

// --- files that do not exist

var (
	openMissingRE    = lazyRegexp(`open (\S+): no such file or directory`)
	envFileMissingRE = lazyRegexp(`^env file (\S+) not found`)
)

// missingFile points at the key that names a file that does not exist.
func (x *explainer) missingFile(msg string) (string, bool) {
	var missing string
	if m := envFileMissingRE().FindStringSubmatch(msg); m != nil {
		missing = m[1]
	} else if m := openMissingRE().FindStringSubmatch(msg); m != nil {
		missing = m[1]
	} else {
		return "", false
	}
	h, ok := x.findPath(missing)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%s: %s: file %q not found", x.at(h), keyPath(h.path), h.node.Value), true
}

// findPath finds the scalar that names the file abs, resolved against the
// directory of the compose file that holds it.
func (x *explainer) findPath(abs string) (hit, bool) {
	for i := len(x.files) - 1; i >= 0; i-- {
		f := x.files[i]
		dir := filepath.Dir(f)
		for _, root := range x.pos.roots(f) {
			var hits []hit
			walkPath(root, []string{"*"}, nil, 0, nil, &hits)
			for _, top := range hits {
				if h, ok := findScalar(top, func(v string) bool {
					return v == abs || filepath.Join(dir, v) == abs
				}); ok {
					h.file = f
					return h, true
				}
			}
		}
	}
	return hit{}, false
}

// findScalar searches below h for a scalar value accepted by pred.
func findScalar(h hit, pred func(string) bool) (hit, bool) {
	n := h.node
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if pred(n.Value) {
			return h, true
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			c := hit{node: n.Content[i+1], line: n.Content[i].Line, path: append(append([]string(nil), h.path...), n.Content[i].Value)}
			if r, ok := findScalar(c, pred); ok {
				return r, true
			}
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			c := hit{node: e, line: e.Line, path: append(append([]string(nil), h.path...), index(i))}
			if r, ok := findScalar(c, pred); ok {
				return r, true
			}
		}
	}
	return hit{}, false
}

// --- other messages

var pathMustBeRE = lazyRegexp(`^((?:services|networks|volumes)(?:\.[^\s.]+)*) must be a (.*)$`)

// mustBe locates "services.web must be a mapping" (compose-go's extends
// step checks this before the schema does).
func (x *explainer) mustBe(msg string) (string, bool) {
	m := pathMustBeRE().FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	path := strings.Split(m[1], ".")
	if file, line, ok := x.pos.find(path, len(path)); ok {
		return fmt.Sprintf("%s:%d: %s must be %s", x.s.display(file), line, m[1], article(humanType(m[2]))), true
	}
	return "", false
}

// emptyFile names the compose file that holds nothing.
func (x *explainer) emptyFile(msg string) (string, bool) {
	if msg != "empty compose file" {
		return "", false
	}
	for _, f := range x.files {
		if len(x.pos.roots(f)) == 0 {
			return fmt.Sprintf("%s:1: the compose file is empty: define at least services:", x.s.display(f)), true
		}
	}
	return "", false
}

// --- anything else naming a key path or a service

var keyPathREs = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`^(services\.[^:\s]+):`),
		regexp.MustCompile(`^service "([^"]+)"`),
	}
})

func (x *explainer) servicePrefix(msg string) (string, bool) {
	for i, re := range keyPathREs() {
		if m := re.FindStringSubmatch(msg); m != nil {
			path := strings.Split(m[1], ".")
			if i == len(keyPathREs())-1 {
				path = []string{"services", m[1]}
			}
			return x.locate(path) + ": " + msg, true
		}
	}
	return "", false
}

// containerNameConflicts is Project.CheckContainerNameUnicity with a
// message that names both services and points at the second one.
func containerNameConflicts(cp *types.Project, files []string, s *session) error {
	names := make([]string, 0, len(cp.Services))
	for name := range cp.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	owner := map[string]string{}
	for _, name := range names {
		cn := cp.Services[name].ContainerName
		if cn == "" {
			continue
		}
		if first, ok := owner[cn]; ok {
			x := &explainer{s: s, files: files, pos: newPositions(files)}
			return &composeError{msg: fmt.Sprintf("%s: service %q: container_name %q is already used by service %q: container names must be unique",
				x.locate([]string{"services", name, "container_name"}), name, cn, first)}
		}
		owner[cn] = name
	}
	return nil
}

// unanchor drops the ^( … )$ that compose-go v2.16's schema wraps its
// patterns in, which tell the user nothing: "^(always|never)$" → "always|never".
func unanchor(pattern string) string {
	p := strings.TrimSuffix(strings.TrimPrefix(pattern, "^"), "$")
	if len(p) < 2 || p[0] != '(' || p[len(p)-1] != ')' {
		return p
	}
	depth := 0
	for i, c := range p {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(p)-1 {
				return p // "(a)|(b)": the outer parentheses are not one group
			}
		}
	}
	return p[1 : len(p)-1]
}
