package cli

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mycompose/mycompose/convergence"
)

var errNotExist = fs.ErrNotExist

// statLocal stats a local path, through a final symlink when follow is set.
func statLocal(p string, follow bool) (os.FileInfo, error) {
	if follow {
		return os.Stat(p)
	}
	return os.Lstat(p)
}

// sendTar streams src as a tar archive whose top entry is name into the
// container directory dir. The archive is produced while it is sent, so a
// large tree never sits in memory.
func sendTar(ctx context.Context, eng Engine, id, dir, src, name string, archive, follow bool) error {
	if follow {
		resolved, err := filepath.EvalSymlinks(strings.TrimSuffix(src, "/"))
		if err != nil {
			return err
		}
		src = resolved
	}
	src = strings.TrimSuffix(src, "/")
	if _, err := os.Lstat(src); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, src, name, archive)) }()
	err := eng.CopyToContainer(ctx, id, dir, pr)
	pr.CloseWithError(fmt.Errorf("copy aborted"))
	return err
}

// writeTar writes the tree at src under the entry name. Without archive
// mode, entries belong to root, as docker cp makes them.
func writeTar(w io.Writer, src, name string, archive bool) error {
	tw := tar.NewWriter(w)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := name
		if rel != "." {
			name = path.Join(name, filepath.ToSlash(rel))
		}
		return convergence.WriteTarEntry(tw, p, name, info, archive)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// extractTar writes a container's tar archive under dir, renaming the top
// entry top to rename when set. Entries that would land outside dir, or
// go through a symlink, are refused: the archive comes from a container.
func extractTar(r io.Reader, dir, top, rename string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		name, err := entryPath(hdr.Name, top, rename)
		if err != nil {
			return err
		}
		target := filepath.Join(dir, name)
		if err := noSymlinkParents(dir, name); err != nil {
			return err
		}
		mode := os.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("write %q: %w", target, err)
			}
		case tar.TypeSymlink:
			os.Remove(target)
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return err
			}
			continue
		default:
			continue // devices, fifos, hard links: not copied
		}
		os.Chtimes(target, hdr.ModTime, hdr.ModTime)
	}
}

// entryPath maps an archive entry name to a safe relative path.
func entryPath(name, top, rename string) (string, error) {
	clean := path.Clean("/" + name)[1:]
	if rename != "" {
		first, rest, _ := strings.Cut(clean, "/")
		if first == top {
			clean = path.Join(rename, rest)
		}
	}
	if clean == "" || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("refusing archive entry %q: it leaves the destination", name)
	}
	return filepath.FromSlash(clean), nil
}

// noSymlinkParents fails when a directory on the way from dir to name is
// a symlink, through which an entry could escape dir.
func noSymlinkParents(dir, name string) error {
	cur := dir
	parts := strings.Split(filepath.Dir(name), string(filepath.Separator))
	for _, p := range parts {
		if p == "." || p == "" {
			continue
		}
		cur = filepath.Join(cur, p)
		info, err := os.Lstat(cur)
		if err != nil {
			return nil // created by a later entry or missing: nothing to follow
		}
		if info.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("refusing archive entry %q: it goes through symlink %q", name, cur)
		}
	}
	return nil
}
