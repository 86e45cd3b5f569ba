package project

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ContainerName returns the name of replica number of service in project:
// "<project>-<service>-<N>".
func ContainerName(projectName, service string, number int) string {
	return projectName + "-" + service + "-" + strconv.Itoa(number)
}

// ReplicaName returns the container name of replica number of svc, honouring
// container_name and the compatibility separator.
func (p *Project) ReplicaName(svc *Service, number int) string {
	if svc.ContainerName != "" {
		return svc.ContainerName
	}
	if p.Separator != "" {
		return p.Name + p.Separator + svc.Name + p.Separator + strconv.Itoa(number)
	}
	return ContainerName(p.Name, svc.Name, number)
}

// OneOffName returns the name of a one-off container of svc, with the
// project's separator.
func (p *Project) OneOffName(service, slug string) string {
	name := OneOffName(p.Name, service, slug)
	if p.Separator != "" {
		name = strings.ReplaceAll(strings.TrimPrefix(name, p.Name+"-"+service), "-", p.Separator)
		name = p.Name + p.Separator + service + name
	}
	return name
}

// OneOffName returns the name of a one-off container: "<project>-<service>-run-<12 hex>".
func OneOffName(projectName, service, slug string) string {
	if len(slug) > 12 {
		slug = slug[:12]
	}
	return projectName + "-" + service + "-run-" + slug
}

// ScopedName returns the engine name of a project network or volume:
// "<project>_<key>".
func ScopedName(projectName, key string) string {
	return projectName + "_" + key
}

// TemporaryName is the name a replacement container carries while the
// container it replaces still exists: "<old id 12>_<name>".
func TemporaryName(oldID, name string) string {
	if len(oldID) > 12 {
		oldID = oldID[:12]
	}
	return oldID + "_" + name
}

var projectNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ValidateProjectName reports whether name is a valid normalized project name.
func ValidateProjectName(name string) error {
	if name == "" {
		return fmt.Errorf("project name must not be empty")
	}
	if !projectNameRE.MatchString(name) {
		return fmt.Errorf("invalid project name %q: must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit", name)
	}
	return nil
}

var serviceNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidateServiceName reports whether name can be used in container names
// and label filters.
func ValidateServiceName(name string) error {
	if !serviceNameRE.MatchString(name) {
		return fmt.Errorf("invalid service name %q: must contain only letters, digits, '.', '_' and '-', and start with a letter or digit", name)
	}
	return nil
}

// NormalizeProjectName lowercases name and drops characters a project name
// cannot hold, as Docker Compose does for directory names.
func NormalizeProjectName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "_-")
}
