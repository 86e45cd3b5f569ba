package loader

import (
	"fmt"
	"io"
	"os"
	"path"
	"strconv"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mycompose/mycompose/project"
)

// Default locations and mode of secrets and configs, as in Docker Compose.
const (
	secretsDir  = "/run/secrets"
	defaultMode = 0o444
)

// files maps a service's secrets and configs to files written into its
// containers. Docker Compose bind-mounts them and ignores uid, gid and mode
// outside Swarm; mycompose copies the content in before start, so they are
// honoured, and no world-readable copy is left on the host.
func (c *converter) files(s types.ServiceConfig) []project.ContainerFile {
	var out []project.ContainerFile
	for i, ref := range s.Secrets {
		top, ok := c.cp.Secrets[ref.Source]
		if !ok {
			continue // compose-go reports undefined secrets
		}
		target := ref.Target
		if target == "" {
			target = ref.Source
		}
		if !path.IsAbs(target) {
			target = path.Join(secretsDir, target)
		}
		f, ok := c.fileContent(s.Name, []string{"secrets", strconv.Itoa(i)}, "secret", ref.Source, types.FileObjectConfig(top))
		if !ok {
			continue
		}
		out = append(out, c.fileRef(s.Name, "secret", ref.Source, target, types.FileReferenceConfig(ref), f))
	}
	for i, ref := range s.Configs {
		top, ok := c.cp.Configs[ref.Source]
		if !ok {
			continue
		}
		target := ref.Target
		if target == "" {
			target = "/" + ref.Source
		}
		f, ok := c.fileContent(s.Name, []string{"configs", strconv.Itoa(i)}, "config", ref.Source, types.FileObjectConfig(top))
		if !ok {
			continue
		}
		out = append(out, c.fileRef(s.Name, "config", ref.Source, target, types.FileReferenceConfig(ref), f))
	}
	return out
}

// fileContent reads the content of a top-level secret or config: inline
// content, an environment variable (compose-go resolves it into Content)
// or a file.
func (c *converter) fileContent(svc string, at []string, kind, name string, top types.FileObjectConfig) ([]byte, bool) {
	switch {
	case bool(top.External):
		c.serviceRefuse(svc, at, "%s %q is external: external %ss exist only in Swarm; use file:, environment: or content:", kind, name, kind)
		return nil, false
	case top.Content != "" || top.Environment != "":
		return []byte(top.Content), true
	case top.File != "":
		// Only the commands that create containers read the content (to
		// write it and to notice a rotation); the others check the file.
		read := statSourceFile
		if c.l.session.opts.ReadFiles {
			read = readSourceFile
		}
		data, err := read(top.File)
		if err != nil {
			c.serviceRefuse(svc, at, "%s %q: %v", kind, name, err)
			return nil, false
		}
		return data, true
	}
	c.serviceRefuse(svc, at, "%s %q has no file:, environment: or content:", kind, name)
	return nil, false
}

func (c *converter) fileRef(svc, kind, name, target string, ref types.FileReferenceConfig, content []byte) project.ContainerFile {
	f := project.ContainerFile{Kind: kind, Name: name, Path: target, Content: content, Mode: defaultMode}
	if content != nil {
		f.Digest = project.Digest(c.l.session.opts.DigestKey, content)
	}
	if ref.Mode != nil {
		f.Mode = uint32(*ref.Mode)
	}
	for _, id := range []struct {
		value string
		into  *int
		key   string
	}{{ref.UID, &f.UID, "uid"}, {ref.GID, &f.GID, "gid"}} {
		if id.value == "" {
			continue
		}
		n, err := strconv.Atoi(id.value)
		if err != nil || n < 0 {
			c.serviceRefuse(svc, []string{kind + "s"}, "%s %q: %s %q must be a non-negative number", kind, name, id.key, id.value)
			continue
		}
		*id.into = n
	}
	return f
}

// maxSourceFile bounds a secret's or config's file: they are small by
// nature, and each is held in memory and copied per container.
const maxSourceFile = 1 << 20

// statSourceFile checks, without reading it, that a secret's or config's
// file is one readSourceFile accepts; its content is nil.
func statSourceFile(name string) ([]byte, error) {
	info, err := os.Stat(name)
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read %s: %w", name, pathErr(err))
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file (%s): use a file", name, info.Mode().Type())
	case info.Size() > maxSourceFile:
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a secret or config may have", name, info.Size(), maxSourceFile)
	}
	return nil, nil
}

// readSourceFile reads a secret's or config's file: a regular file (a
// symlink to one is fine) of at most maxSourceFile bytes, so that a FIFO,
// a device or /dev/zero cannot hang or exhaust the loader.
func readSourceFile(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, pathErr(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s): use a file", name, info.Mode().Type())
	}
	if info.Size() > maxSourceFile {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a secret or config may have", name, info.Size(), maxSourceFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSourceFile+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	if len(data) > maxSourceFile {
		return nil, fmt.Errorf("%s grew past %d bytes while read", name, maxSourceFile)
	}
	return data, nil
}
