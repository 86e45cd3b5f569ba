package loader

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateSupport = flag.Bool("update-support", false, "rewrite docs/compose-support.md")

// pendingKeys are the key paths of the compose specification that
// mycompose neither implements nor refuses for a lasting reason yet. The
// list may only shrink: TestEveryKeyImplementedOrRefused fails on a key
// missing from it, and on a key listed here that is now implemented.
var pendingKeys = map[string]bool{
	"models.*.context_size":                                      true,
	"models.*.model":                                             true,
	"models.*.name":                                              true,
	"models.*.runtime_flags":                                     true,
	"networks.*.enable_ipv4":                                     true,
	"networks.*.ipam.options.*":                                  true,
	"services.*.annotations":                                     true,
	"services.*.annotations.*":                                   true,
	"services.*.build.no_cache_filter":                           true,
	"services.*.build.provenance":                                true,
	"services.*.build.sbom":                                      true,
	"services.*.build.secrets.gid":                               true,
	"services.*.build.secrets.mode":                              true,
	"services.*.build.secrets.uid":                               true,
	"services.*.deploy.resources.reservations.generic_resources": true,
	"services.*.deploy.resources.reservations.generic_resources.discrete_resource_spec.kind":  true,
	"services.*.deploy.resources.reservations.generic_resources.discrete_resource_spec.value": true,
	"services.*.external_links":            true,
	"services.*.links":                     true,
	"services.*.models":                    true,
	"services.*.models.*":                  true,
	"services.*.models.*.endpoint_var":     true,
	"services.*.models.*.model_var":        true,
	"services.*.networks.*.gw_priority":    true,
	"services.*.networks.*.interface_name": true,
	"services.*.post_start":                true,
	"services.*.post_start.command":        true,
	"services.*.post_start.environment":    true,
	"services.*.post_start.environment.*":  true,
	"services.*.post_start.privileged":     true,
	"services.*.post_start.user":           true,
	"services.*.post_start.working_dir":    true,
	"services.*.pre_stop":                  true,
	"services.*.pre_stop.command":          true,
	"services.*.pre_stop.environment":      true,
	"services.*.pre_stop.environment.*":    true,
	"services.*.pre_stop.privileged":       true,
	"services.*.pre_stop.user":             true,
	"services.*.pre_stop.working_dir":      true,
	"services.*.provider.options.*":        true,
	"services.*.provider.type":             true,
	"services.*.pull_refresh_after":        true,
	"services.*.use_api_socket":            true,
	"services.*.volumes.volume.labels":     true,
	"services.*.volumes.volume.labels.*":   true,
}

// pendingSubtrees are whole sections compose-go v2.16 added (Docker
// Compose v5.6's scheduled jobs and pre_start hooks, each a full container
// spec) that mycompose does not implement yet: every key path under them is
// pending.
var pendingSubtrees = []string{"jobs", "services.*.pre_start"}

// isPending reports whether path is listed as work left.
func isPending(path string) bool {
	if pendingKeys[path] {
		return true
	}
	for _, p := range pendingSubtrees {
		if path == p || strings.HasPrefix(path, p+".") {
			return true
		}
	}
	return false
}

// TestEveryKeyImplementedOrRefused walks compose-go's JSON schema: every
// key path is implemented, refused for a stated reason, or listed in
// pendingKeys (the work left, published in docs/compose-support.md).
func TestEveryKeyImplementedOrRefused(t *testing.T) {
	rows, err := Support()
	if err != nil {
		t.Fatal(err)
	}
	rows = collapseSubtrees(rows)
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Status]++
		switch {
		case r.Status == StatusPending && !isPending(r.Path):
			t.Errorf("%s: neither implemented nor refused with a reason (implement it, or add it to pendingKeys)", r.Path)
		case r.Status != StatusPending && isPending(r.Path):
			t.Errorf("%s is %s now: remove it from pendingKeys", r.Path, r.Status)
		}
	}
	t.Logf("%d key paths: %d supported, %d refused with a reason, %d pending", len(rows), counts[StatusSupported], counts[StatusRefused], counts[StatusPending])
	doc := supportDoc(rows, counts)
	const path = "../docs/compose-support.md"
	if *updateSupport {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != doc {
		t.Errorf("%s is out of date: go test ./loader -run TestEveryKeyImplementedOrRefused -update-support", path)
	}
}

func supportDoc(rows []SupportRow, counts map[string]int) string {
	var b strings.Builder
	b.WriteString("# Compose specification support\n\n")
	b.WriteString("Generated by `go test ./loader -run TestEveryKeyImplementedOrRefused -update-support`\n")
	b.WriteString("from compose-go's JSON schema and the loader's allow-lists: do not edit by hand.\n\n")
	fmt.Fprintf(&b, "%d key paths: %d supported, %d refused with a reason, %d not supported yet.\n\n",
		len(rows), counts[StatusSupported], counts[StatusRefused], counts[StatusPending])
	b.WriteString("| key | status |\n|---|---|\n")
	for _, r := range rows {
		status := r.Status
		switch r.Status {
		case StatusRefused:
			status = "refused: " + r.Reason
		case StatusPending:
			status = "not supported yet"
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", r.Path, status)
	}
	return b.String()
}

// collapseSubtrees shows each pending subtree as one row ("jobs.…"): the
// hundreds of keys below it are one piece of work.
func collapseSubtrees(rows []SupportRow) []SupportRow {
	var out []SupportRow
	seen := map[string]bool{}
	for _, r := range rows {
		sub := ""
		for _, p := range pendingSubtrees {
			if r.Path == p || strings.HasPrefix(r.Path, p+".") {
				sub = p
			}
		}
		switch {
		case sub == "" || r.Status != StatusPending:
			out = append(out, r)
		case !seen[sub]:
			seen[sub] = true
			out = append(out, SupportRow{Path: sub, Status: StatusPending, Reason: "the whole section"})
		}
	}
	return out
}
