package convergence

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// maxExplained bounds how many changed fields a recreate reason lists.
const maxExplained = 6

// explainChange names the fields that differ between two service
// definitions (the JSON the config hash is computed from): "environment.FOO
// changed", "ports changed", "labels.tier added". It returns nil when either
// side cannot be decoded, so the caller falls back to "config changed".
func explainChange(oldJSON, newJSON string) []string {
	var before, after map[string]any
	if json.Unmarshal([]byte(oldJSON), &before) != nil || json.Unmarshal([]byte(newJSON), &after) != nil {
		return nil
	}
	var out []string
	diffValues("", before, after, &out)
	sort.Strings(out)
	if len(out) > maxExplained {
		out = append(out[:maxExplained], fmt.Sprintf("and %d more", len(out)-maxExplained))
	}
	return out
}

// diffValues descends into objects so that a change deep in a map is named
// by its path; lists and scalars are compared whole.
func diffValues(path string, a, b any, out *[]string) {
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if !aIsMap || !bIsMap {
		if !reflect.DeepEqual(a, b) {
			switch {
			case isUnset(a):
				*out = append(*out, path+" added")
			case isUnset(b):
				*out = append(*out, path+" removed")
			default:
				*out = append(*out, path+" changed")
			}
		}
		return
	}
	keys := map[string]bool{}
	for k := range am {
		keys[k] = true
	}
	for k := range bm {
		keys[k] = true
	}
	for k := range keys {
		p := k
		if path != "" {
			p = path + "." + k
		}
		diffValues(p, am[k], bm[k], out)
	}
}

func isUnset(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}

// changeReason renders why a replica is recreated.
func changeReason(fields []string) string {
	if len(fields) == 0 {
		return "config changed"
	}
	return strings.Join(fields, ", ")
}
