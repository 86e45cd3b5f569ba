package cli

import (
	"archive/tar"
	"context"
	"errors"
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
// entry top to rename when set. The archive comes from a container, so
// nothing in it may reach outside dir: every write goes through an os.Root
// opened on dir, an existing file or link in the way is removed rather than
// written through, an entry below a symlink is refused, and a symlink whose
// target leaves dir is not created (the other entries are still extracted,
// then the refused links are reported as an error). Devices, fifos and hard
// links are skipped and setuid, setgid and sticky bits dropped.
func extractTar(r io.Reader, dir, top, rename string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var refused []error
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return errors.Join(refused...)
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		name, err := entryPath(hdr.Name, top, rename)
		if err != nil {
			return err
		}
		if err := noSymlinkParents(root, name); err != nil {
			return err
		}
		mode := os.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := extractDir(root, name, mode); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := extractFile(root, name, mode, tr); err != nil {
				return fmt.Errorf("write %q: %w", filepath.Join(dir, name), err)
			}
		case tar.TypeSymlink:
			if err := linkStaysInside(name, hdr.Linkname); err != nil {
				refused = append(refused, fmt.Errorf("not copied: %w", err))
				continue
			}
			if err := makeParents(root, name); err != nil {
				return err
			}
			if err := clearWay(root, name); err != nil {
				return err
			}
			if err := root.Symlink(hdr.Linkname, name); err != nil {
				return err
			}
			continue
		default:
			continue // devices, fifos, hard links: not copied
		}
		root.Chtimes(name, hdr.ModTime, hdr.ModTime)
	}
}

// extractDir makes the directory name, replacing a file or link there.
func extractDir(root *os.Root, name string, mode os.FileMode) error {
	if info, err := root.Lstat(name); err == nil && info.IsDir() {
		return nil
	}
	if err := clearWay(root, name); err != nil {
		return err
	}
	return root.MkdirAll(name, mode|0o700)
}

// extractFile writes a regular file at name. A file or symlink already
// there is removed first and the new one created exclusively, so a link
// planted by an earlier copy is replaced, never written through.
func extractFile(root *os.Root, name string, mode os.FileMode, r io.Reader) error {
	if err := makeParents(root, name); err != nil {
		return err
	}
	if err := clearWay(root, name); err != nil {
		return err
	}
	f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// makeParents creates the missing directories above name (an archive
// need not list them); noSymlinkParents has checked the existing ones.
func makeParents(root *os.Root, name string) error {
	if parent := filepath.Dir(name); parent != "." {
		return root.MkdirAll(parent, 0o755)
	}
	return nil
}

// clearWay removes the non-directory at name, if any, so that an entry can
// take its place; a directory there is an error (its content may be the
// user's).
func clearWay(root *os.Root, name string) error {
	info, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case info.IsDir():
		return fmt.Errorf("cannot overwrite directory %q with a non-directory", name)
	}
	return root.Remove(name)
}

// linkStaysInside refuses a symlink at name (relative to the destination)
// whose target leaves the destination: an absolute target, more leading
// ".." than name has parent directories, or a ".." after another
// component (which, behind a symlink, can climb anywhere).
func linkStaysInside(name, target string) error {
	if target == "" || strings.HasPrefix(target, "/") {
		return fmt.Errorf("symlink %q -> %q leaves the destination", filepath.ToSlash(name), target)
	}
	depth := strings.Count(filepath.ToSlash(name), "/")
	leading := true
	for _, part := range strings.Split(target, "/") {
		switch {
		case part == "" || part == ".":
		case part == ".." && leading:
			depth--
			if depth < 0 {
				return fmt.Errorf("symlink %q -> %q leaves the destination", filepath.ToSlash(name), target)
			}
		case part == "..":
			return fmt.Errorf("symlink %q -> %q climbs after a path component: it may leave the destination", filepath.ToSlash(name), target)
		default:
			leading = false
		}
	}
	return nil
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

// noSymlinkParents fails when a directory on the way to name is a symlink,
// through which an entry could land somewhere else than its name says.
func noSymlinkParents(root *os.Root, name string) error {
	cur := ""
	for _, p := range strings.Split(filepath.Dir(name), string(filepath.Separator)) {
		if p == "." || p == "" {
			continue
		}
		cur = filepath.Join(cur, p)
		info, err := root.Lstat(cur)
		if err != nil {
			return nil // created by a later entry or missing: nothing to follow
		}
		if info.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("refusing archive entry %q: it goes through symlink %q", name, cur)
		}
	}
	return nil
}
