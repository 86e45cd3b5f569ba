package convergence

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mycompose/mycompose/project"
)

// writeFiles copies a container's secrets and configs into it with their
// owner and mode, in one tar stream built in memory, when the engine does
// not deliver them itself (a remote engine). It runs after create and
// before start. The copy lands in the container's writable layer, and a
// read_only container refuses it: docs/security.md says so.
func (r *applyRun) writeFiles(a *Action, id string, files []project.ContainerFile) error {
	if len(files) == 0 {
		return nil
	}
	if r.x.Engine.DeliversFiles() {
		return nil
	}
	stream, err := filesTar(files)
	if err != nil {
		return fmt.Errorf("container %q: %w", a.Name, err)
	}
	err = r.call(func(ctx context.Context) error {
		return r.x.Engine.CopyToContainer(ctx, id, "/", bytes.NewReader(stream))
	})
	if err != nil {
		// Name the files, never their content.
		hint := ""
		if a.Create != nil && a.Create.Spec.ReadOnly {
			hint = " (a read_only service can receive secrets and configs only from a local engine, which bind-mounts them)"
		}
		return fmt.Errorf("container %q: write %s%s: %w", a.Name, fileNames(files), hint, err)
	}
	return nil
}

// filesTar packs the files at their absolute paths; the engine creates
// missing parent directories.
func filesTar(files []project.ContainerFile) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	for _, f := range files {
		hdr := &tar.Header{
			Name: strings.TrimPrefix(f.Path, "/"), Mode: int64(f.Mode), Size: int64(len(f.Content)),
			Uid: f.UID, Gid: f.GID, ModTime: now, Typeflag: tar.TypeReg,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("pack %s %q: %w", f.Kind, f.Name, err)
		}
		if _, err := tw.Write(f.Content); err != nil {
			return nil, fmt.Errorf("pack %s %q: %w", f.Kind, f.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fileNames(files []project.ContainerFile) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Kind + " " + f.Name + " (" + f.Path + ")"
	}
	return strings.Join(names, ", ")
}
