package project

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// The LabelConfig label lets a later `up` name what changed ("environment.
// DB_PASSWORD changed", "secret db_pw changed") without storing any value:
// labels are shown by `docker inspect`, `docker events`, `ps --format json`
// and kept in images committed from the container. It holds the paths of
// the service definition's fields and, per field and per secret or config
// content, a digest keyed with a per-user random key (see DigestKey), so a
// short value cannot be guessed offline from a leaked label.

// configRecordVersion marks the label format; older labels (the raw
// definition) are not decoded and explain nothing beyond "config changed".
const configRecordVersion = 2

// digestLen is the number of hex digits kept of each keyed digest: enough
// to notice a change, too few to matter for anything else.
const digestLen = 16

// ConfigRecord is the decoded LabelConfig label.
type ConfigRecord struct {
	V int `json:"v"`
	// Key identifies the digest key (a digest of it, never the key); empty
	// when no key was available, then Fields and Files hold no digests.
	Key string `json:"key,omitempty"`
	// Fields maps each leaf of the service definition ("environment.FOO",
	// "ports", "image") to its keyed digest.
	Fields map[string]string `json:"fields"`
	// Files maps "secret NAME" and "config NAME" to the keyed digest of
	// their content.
	Files map[string]string `json:"files,omitempty"`
}

// KeyID names a digest key without revealing it.
func KeyID(key []byte) string {
	if len(key) == 0 {
		return ""
	}
	sum := sha256.Sum256(append([]byte("mycompose digest key id\x00"), key...))
	return hex.EncodeToString(sum[:])[:digestLen]
}

// Digest is the keyed digest of data, or "" without a key.
func Digest(key, data []byte) string {
	if len(key) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))[:digestLen]
}

// NewConfigRecord digests a service definition (the JSON the config hash is
// computed from) and its files' contents. Maps are descended so that a
// change is named by its path; lists and scalars are digested whole; unset
// values (null, "", [], {}) are left out, so "added" and "removed" mean set
// and unset.
func NewConfigRecord(configJSON []byte, files []ContainerFile, key []byte) (ConfigRecord, bool) {
	var v any
	if json.Unmarshal(configJSON, &v) != nil {
		return ConfigRecord{}, false
	}
	rec := ConfigRecord{V: configRecordVersion, Key: KeyID(key), Fields: map[string]string{}}
	flattenDigests("", v, key, rec.Fields)
	for _, f := range files {
		if f.Digest == "" {
			continue
		}
		if rec.Files == nil {
			rec.Files = map[string]string{}
		}
		rec.Files[f.Kind+" "+f.Name] = f.Digest
	}
	return rec, true
}

func flattenDigests(path string, v any, key []byte, out map[string]string) {
	if m, ok := v.(map[string]any); ok {
		for k, sub := range m {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flattenDigests(p, sub, key, out)
		}
		return
	}
	if isUnset(v) || path == "" {
		return
	}
	data, _ := json.Marshal(v)
	out[path] = Digest(key, data)
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

// String encodes the record as the label value (sorted keys: stable).
func (r ConfigRecord) String() string {
	data, _ := json.Marshal(r)
	return string(data)
}

// ParseConfigRecord decodes a label value written by String; it fails on
// labels of older versions and other tools.
func ParseConfigRecord(s string) (ConfigRecord, bool) {
	var r ConfigRecord
	if json.Unmarshal([]byte(s), &r) != nil || r.V != configRecordVersion || r.Fields == nil {
		return ConfigRecord{}, false
	}
	return r, true
}

// DiffFields names the fields that differ between two records: "PATH
// added", "PATH removed", "PATH changed", sorted. When the records were made
// with different keys only additions and removals can be told; complete is
// then false.
func DiffFields(before, after ConfigRecord) (out []string, complete bool) {
	complete = before.Key != "" && before.Key == after.Key
	for p, d := range after.Fields {
		old, ok := before.Fields[p]
		switch {
		case !ok:
			out = append(out, p+" added")
		case complete && old != d:
			out = append(out, p+" changed")
		}
	}
	for p := range before.Fields {
		if _, ok := after.Fields[p]; !ok {
			out = append(out, p+" removed")
		}
	}
	sort.Strings(out)
	return out, complete
}

// DiffFiles names the secrets and configs whose content changed between
// the record on a container and the desired one ("secret db_pw changed").
// A file the container's record does not list is not reported: its
// reference is part of the config hash already. When the keys differ the
// contents cannot be compared, and every file the desired record lists is
// reported as possibly changed.
func DiffFiles(before, after ConfigRecord) []string {
	var out []string
	for name, d := range after.Files {
		old, ok := before.Files[name]
		switch {
		case before.Key == "" || after.Key == "":
			// Without a key there is nothing to compare.
		case !ok:
		case before.Key != after.Key:
			out = append(out, name+" may have changed (recorded with another digest key)")
		case old != d:
			out = append(out, name+" changed")
		}
	}
	sort.Strings(out)
	return out
}
