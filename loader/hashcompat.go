package loader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// Docker Compose stamps each container with the hash of its service's JSON
// (ServiceHash), and that JSON changed between Compose releases while the
// service did not: an upgrade of Compose recreates containers. mycompose
// writes the hash of the current release (v5.6) and, when it reads a
// container, accepts the hash any known release computes for the same
// service, so a project brought up by any of them is a no-op up.
//
// Each older release is described by recipes: normalisations that turn the
// v5.6 JSON of a service into the JSON that release hashed. They were found
// by comparing the hashes real binaries stamp (docs/compatibility.md), and
// each has a golden test in hashcompat_test.go.

// A hashRecipe rewrites the top-level members of the v5.6 service JSON
// (root) into one or more alternatives: a recipe returns several when the
// older JSON cannot be told from the loaded model alone.
type hashRecipe struct {
	name  string
	apply func(root map[string]json.RawMessage, s types.ServiceConfig) ([]map[string]json.RawMessage, error)
}

// composeRelease is a Docker Compose release whose hashes mycompose accepts,
// and the recipes that turn the v5.6 JSON into its JSON.
type composeRelease struct {
	Version string
	recipes []hashRecipe
}

var (
	// recipeBindCreateHostPath: compose-go before v2.14 (Compose ≤ v5.4,
	// including v2.26 and v2.40) wrote create_host_path as a plain bool,
	// present when true: a short-syntax bind (`./dir:/path`) hashed
	// `"bind":{"create_host_path":true}`. compose-go v2.14 made it an
	// opt-out that is written only when false, so the same mount hashes
	// `"bind":{}`. A long-syntax `bind:` block without the key was false
	// (and absent) then and is true (and absent) now, so an absent key has
	// two possible pasts: both are accepted.
	recipeBindCreateHostPath = hashRecipe{"bind.create_host_path", bindCreateHostPath}
	// recipeDependsOnProfiles: Compose v2.26 did not clear depends_on and
	// profiles before hashing (so adding a dependency recreated); v2.40 does.
	recipeDependsOnProfiles = hashRecipe{"depends_on+profiles", dependsOnProfiles}
	// recipeNoLabelFile: Compose v2.26 with compose-go v2.4 (Debian 13's
	// docker-compose package) dropped label_file from the service once its
	// labels were merged, together with env_file; later releases keep the
	// list of label files.
	recipeNoLabelFile = hashRecipe{"label_file", noLabelFile}
	// recipeNumericFileMode: compose-go v2.4 wrote the mode of a secret or
	// config as a JSON number (0400 → 256); later versions write the octal
	// string ("0400").
	recipeNumericFileMode = hashRecipe{"secrets/configs mode", numericFileMode}
	// recipeNetworkKeyOrder: compose-go v2.4 declared the fields of a
	// service's network attachment in another order (priority first), so
	// `networks: {front: {aliases: [www], priority: 10}}` marshals
	// differently; later versions sort them alphabetically.
	recipeNetworkKeyOrder = hashRecipe{"networks key order", networkKeyOrder}
)

// networkKeyOrderV24 is compose-go v2.4's ServiceNetworkConfig field order.
var networkKeyOrderV24 = []string{
	"priority", "gw_priority", "aliases", "ipv4_address", "ipv6_address", "link_local_ips", "mac_address", "driver_opts",
}

// ComposeReleases are the Docker Compose releases whose config hashes
// mycompose accepts, current first. The first is the one it writes.
var ComposeReleases = []composeRelease{
	{Version: "v5.6.0"},
	{Version: "v2.40.3", recipes: []hashRecipe{recipeBindCreateHostPath}},
	{Version: "v2.26.1", recipes: []hashRecipe{recipeBindCreateHostPath, recipeDependsOnProfiles, recipeNoLabelFile, recipeNumericFileMode, recipeNetworkKeyOrder}},
}

// EnvHashVersion names the Docker Compose release whose config hash
// mycompose writes on the containers it creates, for a user who keeps
// running that older Compose on the same projects (Debian 13's
// docker-compose 2.26.1, say): that Compose then sees them as up to date
// too. Unset, mycompose writes the current release's hash. Whatever it
// writes, it reads every known release's.
const EnvHashVersion = "MYCOMPOSE_HASH_VERSION"

// ErrUnknownComposeRelease: MYCOMPOSE_HASH_VERSION names no known release.
var ErrUnknownComposeRelease = errors.New("unknown Docker Compose release")

// hashRelease validates a MYCOMPOSE_HASH_VERSION value ("2.26.1" or
// "v2.26.1") and returns the release's Version; "" is the current release.
func hashRelease(v string) (string, error) {
	if v == "" {
		return ComposeReleases[0].Version, nil
	}
	var known []string
	for _, r := range ComposeReleases {
		if r.Version == v || r.Version == "v"+v {
			return r.Version, nil
		}
		known = append(known, r.Version)
	}
	return "", fmt.Errorf("%s=%q: %w: use one of %s, or unset it to write the current release's hash",
		EnvHashVersion, v, ErrUnknownComposeRelease, strings.Join(known, ", "))
}

// serviceHashes returns the hash release stamps on a container of s (the
// one mycompose writes) and every accepted hash (AcceptedHashes). Where the
// release's JSON is ambiguous the written hash is the first, most likely
// alternative: a bind whose block is empty taken as short syntax
// (`./dir:/path`), one that sets propagation or selinux as a long-syntax
// block.
func serviceHashes(s types.ServiceConfig, release string) (written string, accepted []string, err error) {
	byRelease, err := ReleaseHashes(s)
	if err != nil {
		return "", nil, err
	}
	hs := byRelease[release]
	if len(hs) == 0 {
		return "", nil, fmt.Errorf("%s: %w", release, ErrUnknownComposeRelease)
	}
	return hs[0], union(byRelease), nil
}

// maxHashVariants bounds the alternatives of one release for one service
// (2 per long-syntax bind block): past it only the two uniform variants are
// kept.
const maxHashVariants = 64

// AcceptedHashes returns, sorted and without duplicates, every config hash
// a known Docker Compose release stamps on a container of service s; the
// current one (ServiceHash) is among them.
func AcceptedHashes(s types.ServiceConfig) ([]string, error) {
	byRelease, err := ReleaseHashes(s)
	if err != nil {
		return nil, err
	}
	return union(byRelease), nil
}

// union returns the hashes of every release, sorted, without duplicates.
func union(byRelease map[string][]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, hs := range byRelease {
		for _, h := range hs {
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ReleaseHashes returns, per ComposeReleases version, the hashes that
// release may have stamped on a container of service s.
func ReleaseHashes(s types.ServiceConfig) (map[string][]string, error) {
	base, err := ServiceConfigJSON(s)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(ComposeReleases))
	for _, r := range ComposeReleases {
		jsons, err := r.serviceJSON(base, s)
		if err != nil {
			return nil, fmt.Errorf("config hash of Docker Compose %s: %w", r.Version, err)
		}
		for _, j := range jsons {
			out[r.Version] = append(out[r.Version], sha(j))
		}
	}
	return out, nil
}

// serviceJSON applies the release's recipes to the v5.6 JSON of s.
func (r composeRelease) serviceJSON(base []byte, s types.ServiceConfig) ([][]byte, error) {
	root, err := splitRoot(base)
	if err != nil {
		return nil, err
	}
	roots := []map[string]json.RawMessage{root}
	for _, rc := range r.recipes {
		var next []map[string]json.RawMessage
		for _, root := range roots {
			alts, err := rc.apply(root, s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rc.name, err)
			}
			next = append(next, alts...)
		}
		roots = next
	}
	out := make([][]byte, 0, len(roots))
	for _, root := range roots {
		out = append(out, joinRoot(root))
	}
	return out, nil
}

func cloneRoot(root map[string]json.RawMessage) map[string]json.RawMessage {
	c := make(map[string]json.RawMessage, len(root))
	for k, v := range root {
		c[k] = v
	}
	return c
}

func bindCreateHostPath(root map[string]json.RawMessage, _ types.ServiceConfig) ([]map[string]json.RawMessage, error) {
	raw, ok := root["volumes"]
	if !ok {
		return []map[string]json.RawMessage{root}, nil
	}
	var vols []json.RawMessage
	if err := json.Unmarshal(raw, &vols); err != nil {
		return nil, err
	}
	// Per volume: its old JSON when the key was written (explicit) and
	// when it was not; equal for everything but binds without the key.
	type choice struct{ explicit, absent json.RawMessage }
	choices := make([]choice, len(vols))
	var ambiguous []int
	preferred := 0 // the most likely past, first: see releaseHash
	for i, v := range vols {
		explicit, absent, bare, err := oldBind(v)
		if err != nil {
			return nil, err
		}
		choices[i] = choice{explicit, absent}
		if !bytes.Equal(explicit, absent) {
			if bare {
				preferred |= 1 << len(ambiguous)
			}
			ambiguous = append(ambiguous, i)
		}
	}
	// masks: bit j set = ambiguous[j] was written with the key (short syntax).
	all := 1<<len(ambiguous) - 1
	masks := []int{preferred}
	if len(ambiguous) <= 6 && 1<<len(ambiguous) <= maxHashVariants {
		for m := all; m >= 0; m-- {
			if m != preferred {
				masks = append(masks, m)
			}
		}
	} else {
		for _, m := range []int{all, 0} {
			if m != preferred {
				masks = append(masks, m)
			}
		}
	}
	var out []map[string]json.RawMessage
	for _, m := range masks {
		list := make([]json.RawMessage, len(vols))
		for i, c := range choices {
			list[i] = c.absent
		}
		for j, i := range ambiguous {
			if m&(1<<j) != 0 {
				list[i] = choices[i].explicit
			}
		}
		data, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		alt := cloneRoot(root)
		alt["volumes"] = data
		out = append(out, alt)
	}
	return out, nil
}

// oldBind returns the compose-go < v2.14 JSON of one service volume: with
// create_host_path written as true and, when the v2.16 JSON leaves it out
// (true), also without it. An explicit false becomes absent. bare reports
// a bind block with nothing else in it, as the short syntax `./dir:/path`
// makes (a long-syntax block usually sets something, propagation say).
func oldBind(v json.RawMessage) (explicit, absent json.RawMessage, bare bool, err error) {
	members, err := objectMembers(v)
	if err != nil {
		return nil, nil, false, err
	}
	var typ string
	bindAt := -1
	for i, m := range members {
		switch m.key {
		case "type":
			_ = json.Unmarshal(m.value, &typ)
		case "bind":
			bindAt = i
		}
	}
	if typ != types.VolumeTypeBind || bindAt < 0 {
		return v, v, false, nil
	}
	bind, err := objectMembers(members[bindAt].value)
	if err != nil {
		return nil, nil, false, err
	}
	var kept []member
	createHostPath := true
	for _, m := range bind {
		if m.key == "create_host_path" {
			createHostPath = string(m.value) != "false"
			continue
		}
		kept = append(kept, m)
	}
	absentBind := encodeMembers(kept)
	explicitBind := absentBind
	if createHostPath {
		// compose-go ServiceVolumeBind order: selinux, propagation,
		// create_host_path, recursive.
		var with []member
		inserted := false
		for _, m := range kept {
			if m.key == "recursive" && !inserted {
				with = append(with, member{"create_host_path", json.RawMessage("true")})
				inserted = true
			}
			with = append(with, m)
		}
		if !inserted {
			with = append(with, member{"create_host_path", json.RawMessage("true")})
		}
		explicitBind = encodeMembers(with)
	}
	withBind := func(b json.RawMessage) json.RawMessage {
		ms := append([]member(nil), members...)
		ms[bindAt] = member{"bind", b}
		return encodeMembers(ms)
	}
	return withBind(explicitBind), withBind(absentBind), len(kept) == 0, nil
}

func dependsOnProfiles(root map[string]json.RawMessage, s types.ServiceConfig) ([]map[string]json.RawMessage, error) {
	alt := cloneRoot(root)
	if len(s.DependsOn) > 0 {
		data, err := json.Marshal(s.DependsOn)
		if err != nil {
			return nil, err
		}
		alt["depends_on"] = data
	}
	if len(s.Profiles) > 0 {
		data, err := json.Marshal(s.Profiles)
		if err != nil {
			return nil, err
		}
		alt["profiles"] = data
	}
	return []map[string]json.RawMessage{alt}, nil
}

func noLabelFile(root map[string]json.RawMessage, _ types.ServiceConfig) ([]map[string]json.RawMessage, error) {
	alt := cloneRoot(root)
	delete(alt, "label_file")
	return []map[string]json.RawMessage{alt}, nil
}

func numericFileMode(root map[string]json.RawMessage, s types.ServiceConfig) ([]map[string]json.RawMessage, error) {
	alt := cloneRoot(root)
	secrets, configs := fileRefs(s)
	for key, refs := range map[string][]types.FileReferenceConfig{"secrets": secrets, "configs": configs} {
		raw, ok := root[key]
		if !ok {
			continue
		}
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		if len(list) != len(refs) {
			return nil, fmt.Errorf("%s: %d entries in the JSON, %d in the model", key, len(list), len(refs))
		}
		for i, item := range list {
			if refs[i].Mode == nil {
				continue
			}
			members, err := objectMembers(item)
			if err != nil {
				return nil, err
			}
			for j := range members {
				if members[j].key == "mode" {
					members[j].value = json.RawMessage(fmt.Sprintf("%d", int64(*refs[i].Mode)))
				}
			}
			list[i] = encodeMembers(members)
		}
		data, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		alt[key] = data
	}
	return []map[string]json.RawMessage{alt}, nil
}

func networkKeyOrder(root map[string]json.RawMessage, _ types.ServiceConfig) ([]map[string]json.RawMessage, error) {
	raw, ok := root["networks"]
	if !ok {
		return []map[string]json.RawMessage{root}, nil
	}
	nets, err := objectMembers(raw)
	if err != nil {
		return nil, err
	}
	rank := make(map[string]int, len(networkKeyOrderV24))
	for i, k := range networkKeyOrderV24 {
		rank[k] = i
	}
	for i, n := range nets {
		if string(n.value) == "null" {
			continue
		}
		ms, err := objectMembers(n.value)
		if err != nil {
			return nil, err
		}
		// Keys v2.4 did not know (interface_name) go last: such a
		// service cannot have been created by it anyway.
		sort.SliceStable(ms, func(a, b int) bool {
			ra, aok := rank[ms[a].key]
			rb, bok := rank[ms[b].key]
			if !aok || !bok {
				return aok && !bok
			}
			return ra < rb
		})
		nets[i].value = encodeMembers(ms)
	}
	alt := cloneRoot(root)
	alt["networks"] = encodeMembers(nets)
	return []map[string]json.RawMessage{alt}, nil
}

// fileRefs returns the secrets and configs of s as their common type.
func fileRefs(s types.ServiceConfig) (secrets, configs []types.FileReferenceConfig) {
	for _, r := range s.Secrets {
		secrets = append(secrets, types.FileReferenceConfig(r))
	}
	for _, r := range s.Configs {
		configs = append(configs, types.FileReferenceConfig(r))
	}
	return secrets, configs
}

// member is one member of a JSON object, its value kept byte for byte.
type member struct {
	key   string
	value json.RawMessage
}

// objectMembers decodes a JSON object into its members in order.
func objectMembers(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("not a JSON object: %.40s", raw)
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key, v})
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, err
	}
	return out, nil
}

// encodeMembers writes members back as a JSON object.
func encodeMembers(ms []member) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(m.value)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
