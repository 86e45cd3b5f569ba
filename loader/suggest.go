package loader

import (
	"reflect"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// topLevelKeys are the top-level keys the compose format allows besides the
// fields of types.Project.
var topLevelKeys = []string{"version", "include"}

// suggestKey returns the known key closest to key at the schema path (a
// likely typo), or "". The known keys are compose-go's model fields, so the
// suggestion follows the compose-go version.
func suggestKey(path []string, key string) string {
	known := knownKeys(path)
	if len(path) == 0 {
		known = append(known, topLevelKeys...)
	}
	best, bestDist := "", 3
	for _, k := range known {
		d := editDistance(strings.ToLower(key), k)
		if d < bestDist && d <= len(k)/3+1 {
			best, bestDist = k, d
		}
	}
	return best
}

// knownKeys lists the yaml keys of the model type at path.
func knownKeys(path []string) []string {
	t := reflect.TypeOf(types.Project{})
	for _, seg := range path {
		t = deref(t)
		switch t.Kind() {
		case reflect.Map, reflect.Slice:
			t = t.Elem() // seg is a name or an index
		case reflect.Struct:
			f, ok := fieldByKey(t, seg)
			if !ok {
				return nil
			}
			t = f.Type
		default:
			return nil
		}
	}
	t = deref(t)
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for _, f := range keyFields(t) {
		out = append(out, yamlName(f))
	}
	return out
}

// keyFields are the fields of struct t that are compose keys, with the
// fields of embedded `yaml:",inline"` structs (compose-go v2.15+ splits
// ServiceConfig into ContainerSpec and WorkloadSpec) flattened in.
func keyFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && deref(f.Type).Kind() == reflect.Struct && strings.Contains(f.Tag.Get("yaml"), ",inline") {
			out = append(out, keyFields(deref(f.Type))...)
			continue
		}
		if yamlName(f) != "" {
			out = append(out, f)
		}
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for _, f := range keyFields(t) {
		if yamlName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlName is the key of a struct field in compose files ("" for fields
// that are not keys).
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || strings.HasPrefix(name, "#") || !f.IsExported() {
		return ""
	}
	return name
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
