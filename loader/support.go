package loader

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/schema"
)

// SupportRow is one key path of the compose specification (compose-go's
// JSON schema) and what mycompose does with it.
type SupportRow struct {
	// Path is the key as users write it, with "*" for names they choose:
	// "services.*.healthcheck.start_interval".
	Path string
	// Status is "supported", "refused" (with a Reason that is not "not
	// supported yet": Windows only, Swarm only, ...) or "pending".
	Status string
	Reason string
}

// Support statuses.
const (
	StatusSupported = "supported"
	StatusRefused   = "refused"
	StatusPending   = "pending"
)

// compose-go resolves these itself; they never reach the model the
// allow-lists check.
var loaderHandled = map[string]bool{
	"version": true, "name": true, "include": true,
	"services.*.extends": true,
}

// refusedForGood are keys refused with a reason that no implementation
// will remove on this platform.
var refusedForGood = map[string]string{
	"services.*.credential_spec":           "Windows only",
	"services.*.pre_start.credential_spec": "Windows only",
	"secrets.*.external":                   "Swarm only: external secrets exist only in a Swarm (use --swarm)",
	"configs.*.external":                   "Swarm only: external configs exist only in a Swarm (use --swarm)",
	"secrets.*.driver":                     "Swarm only (Docker Compose refuses it too)",
	"secrets.*.driver_opts":                "Swarm only (Docker Compose refuses it too)",
	"secrets.*.template_driver":            "Swarm only (Docker Compose refuses it too)",
	"configs.*.template_driver":            "Swarm only (Docker Compose refuses it too)",
}

// refusedByEngine are keys the engines mycompose supports cannot honour:
// the command that needs them refuses, naming the engine.
var refusedByEngine = map[string]string{
	"jobs": "the engine runs jobs (its jobs extension), and Docker 20.10 to 26.1 have none: `up` (scheduled jobs) and `run JOB` refuse, naming the engine; `config` shows them",
}

// fileObjectSpec is what a top-level secret or config may set locally.
var fileObjectSpec = spec{"name": nil, "file": nil, "environment": nil, "content": nil, "labels": nil}

// topLevelSpecs are the allow-lists of each top-level section.
func topLevelSpecs() map[string]spec {
	return map[string]spec{
		"services": {"*": serviceSpec},
		"networks": {"*": networkSpec},
		// Every top-level volume key maps onto the engine's volume create.
		"volumes": {"*": nil},
		"secrets": {"*": fileObjectSpec},
		"configs": {"*": fileObjectSpec},
		// Every key of a model reaches Docker Model Runner.
		"models": {"*": nil},
	}
}

// Support walks compose-go's JSON schema and classifies every key path
// against the allow-lists that the loader enforces, sorted by path.
func Support() ([]SupportRow, error) {
	var root map[string]any
	if err := json.Unmarshal([]byte(schema.Schema), &root); err != nil {
		return nil, fmt.Errorf("compose schema: %w", err)
	}
	// compose-go v2.16's schema keeps its definitions under "$defs"
	// (JSON Schema 2020-12); older ones under "definitions".
	defs := asMap(root["$defs"])
	if defs == nil {
		defs = asMap(root["definitions"])
	}
	w := &schemaWalker{defs: defs, seen: map[string]bool{}}
	w.node(root, nil, nil)
	specs := topLevelSpecs()
	var rows []SupportRow
	for p := range w.seen {
		rows = append(rows, classify(p, specs))
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Path < rows[j].Path })
	return rows, nil
}

func classify(path string, specs map[string]spec) SupportRow {
	row := SupportRow{Path: path, Status: StatusPending}
	segs := strings.Split(path, ".")
	if _, ok := underKey(loaderHandled, path); ok {
		row.Status = StatusSupported
		return row
	}
	if reason, ok := underKey(refusedForGood, path); ok {
		row.Status, row.Reason = StatusRefused, reason
		return row
	}
	if reason, ok := underKey(refusedByEngine, path); ok {
		row.Status, row.Reason = StatusRefused, reason
		return row
	}
	switch {
	case covered(specs[segs[0]], segs[1:]):
		row.Status = StatusSupported
	}
	return row
}

// underKey finds path, or the nearest key above it, in m.
func underKey[V any](m map[string]V, path string) (V, bool) {
	for p := path; ; {
		if v, ok := m[p]; ok {
			return v, true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			var zero V
			return zero, false
		}
		p = p[:i]
	}
}

// covered reports whether sp accepts the key path segs.
func covered(sp spec, segs []string) bool {
	if sp == nil {
		return false
	}
	cur := sp
	for _, s := range segs {
		if cur == nil {
			return true
		}
		sub, ok := cur[s]
		if !ok {
			sub, ok = cur["*"]
		}
		if !ok {
			return false
		}
		cur = sub
	}
	return true
}

// schemaWalker collects the key paths of a JSON schema: properties add a
// segment, names the user chooses (patternProperties, additionalProperties
// schemas) add "*", arrays and oneOf/anyOf add nothing.
type schemaWalker struct {
	defs  map[string]any
	seen  map[string]bool
	stack []string
}

func (w *schemaWalker) node(n map[string]any, path []string, refs []string) {
	if ref, ok := n["$ref"].(string); ok {
		name := strings.TrimPrefix(strings.TrimPrefix(ref, "#/definitions/"), "#/$defs/")
		for _, r := range refs {
			if r == name {
				return
			}
		}
		if d := asMap(w.defs[name]); d != nil {
			w.node(d, path, append(refs, name))
		}
		return
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		if list, ok := n[k].([]any); ok {
			for _, e := range list {
				if m := asMap(e); m != nil {
					w.node(m, path, refs)
				}
			}
		}
	}
	if items := asMap(n["items"]); items != nil {
		w.node(items, path, refs)
	}
	leaf := true
	for k, v := range asMap(n["properties"]) {
		leaf = false
		if m := asMap(v); m != nil {
			w.node(m, append(append([]string(nil), path...), k), refs)
		}
	}
	for pat, v := range asMap(n["patternProperties"]) {
		if strings.HasPrefix(pat, "^x-") {
			continue
		}
		leaf = false
		if m := asMap(v); m != nil {
			w.node(m, append(append([]string(nil), path...), "*"), refs)
		}
	}
	if m := asMap(n["additionalProperties"]); m != nil && len(m) > 0 {
		leaf = false
		w.node(m, append(append([]string(nil), path...), "*"), refs)
	}
	if leaf && len(path) > 0 {
		w.seen[strings.Join(path, ".")] = true
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
