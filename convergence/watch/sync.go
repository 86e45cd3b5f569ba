package watch

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// syncTar packs the copies into one tar stream rooted at "/": each entry
// at its container path, with its mode, owner and modification time, the
// content of directories walked (minus what their rule ignores). A file
// that vanishes while packing is left out: its removal is the next
// batch's. It returns the number of files packed.
func syncTar(copies []Copy) ([]byte, int, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := 0
	dirs := map[string]bool{}
	for _, c := range copies {
		// Parent directories the container may lack are created by the
		// engine with default modes; add them explicitly so that they get
		// the host's.
		if err := addParents(tw, c, dirs); err != nil {
			return nil, 0, err
		}
		err := filepath.WalkDir(c.Host, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if p != c.Host {
				if d.IsDir() && c.rule.skipDir(p) {
					return filepath.SkipDir
				}
				if !c.rule.matches(p) {
					return nil
				}
			}
			n, err := addEntry(tw, p, c.rule.containerPath(p))
			files += n
			return err
		})
		if err != nil {
			return nil, 0, fmt.Errorf("pack %s: %w", c.Host, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), files, nil
}

// addParents adds the directories between the rule's path and c.Host.
func addParents(tw *tar.Writer, c Copy, done map[string]bool) error {
	var chain []string
	for p := filepath.Dir(c.Host); ; p = filepath.Dir(p) {
		if _, ok := c.rule.rel(p); !ok {
			break
		}
		chain = append(chain, p)
		if p == c.rule.Path {
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		target := c.rule.containerPath(chain[i])
		if done[target] {
			continue
		}
		done[target] = true
		if _, err := addEntry(tw, chain[i], target); err != nil {
			return err
		}
	}
	return nil
}

// addEntry writes one file, directory or symlink; it returns 1 for a
// regular file written.
func addEntry(tw *tar.Writer, hostPath, target string) (int, error) {
	info, err := os.Lstat(hostPath)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(hostPath); err != nil {
			return 0, nil
		}
	}
	if !info.Mode().IsRegular() && !info.IsDir() && link == "" {
		return 0, nil // sockets, fifos, devices: not project content
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return 0, err
	}
	hdr.Name = strings.TrimPrefix(path.Clean(target), "/")
	hdr.Uname, hdr.Gname = "", ""
	if hdr.Name == "" {
		return 0, nil // the container's root directory itself
	}
	if info.IsDir() {
		hdr.Name += "/"
		return 0, tw.WriteHeader(hdr)
	}
	if link != "" {
		return 0, tw.WriteHeader(hdr)
	}
	f, err := os.Open(hostPath)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// The size in the header is the size at Lstat; a file still being
	// written is packed up to that size and synced again on its next event.
	if err := tw.WriteHeader(hdr); err != nil {
		return 0, err
	}
	n, err := io.Copy(tw, io.LimitReader(f, hdr.Size))
	if err != nil {
		return 0, err
	}
	if n < hdr.Size {
		// Truncated meanwhile: pad so the archive stays well-formed.
		if _, err := io.CopyN(tw, zeroReader{}, hdr.Size-n); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
