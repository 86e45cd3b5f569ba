package convergence

import (
	"fmt"
	"strings"

	"github.com/mycompose/mycompose/project"
)

// maxExplained bounds how many changed fields a recreate reason lists.
const maxExplained = 6

// explainChange names the fields that differ between the definition a
// container was created from (its LabelConfig record of keyed digests) and
// svc: "environment.FOO changed", "ports changed", "labels.tier added". It
// returns nil when the container's label cannot be decoded (another tool,
// an older version) or tells nothing, so the caller says "config changed".
func explainChange(oldLabel string, p *project.Project, svc *project.Service) []string {
	before, ok := project.ParseConfigRecord(oldLabel)
	if !ok {
		return nil
	}
	after, ok := project.NewConfigRecord(svc.Config, svc.Container.Files, p.DigestKey)
	if !ok {
		return nil
	}
	out, _ := project.DiffFields(before, after)
	if len(out) > maxExplained {
		out = append(out[:maxExplained], fmt.Sprintf("and %d more", len(out)-maxExplained))
	}
	return out
}

// filesChanged names the secrets and configs of svc whose content differs
// from what the container was created with ("secret db_pw changed"): a
// rotated secret recreates the containers that use it.
func filesChanged(oldLabel string, p *project.Project, svc *project.Service) []string {
	if len(svc.Container.Files) == 0 {
		return nil
	}
	before, ok := project.ParseConfigRecord(oldLabel)
	if !ok {
		return nil
	}
	after, ok := project.NewConfigRecord(svc.Config, svc.Container.Files, p.DigestKey)
	if !ok {
		return nil
	}
	return project.DiffFiles(before, after)
}

// changeReason renders why a replica is recreated.
func changeReason(fields []string) string {
	if len(fields) == 0 {
		return "config changed"
	}
	return strings.Join(fields, ", ")
}
