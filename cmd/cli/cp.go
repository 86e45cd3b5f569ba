package cli

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type cpOptions struct {
	Index      int
	Archive    bool
	FollowLink bool
}

func newCpCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &cpOptions{}
	cmd := &cobra.Command{
		Use:   "cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH\n  mycompose cp [OPTIONS] SRC_PATH SERVICE:DEST_PATH",
		Short: "Copy files/folders between a service container and the local filesystem",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCp(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Index, "index", 0, "index of the container if the service has multiple replicas (to a service: all of them by default)")
	f.BoolVarP(&o.Archive, "archive", "a", false, "archive mode (copy all uid/gid information)")
	f.BoolVarP(&o.FollowLink, "follow-link", "L", false, "always follow symbol link in SRC_PATH")
	return cmd
}

// splitCpArg splits "SERVICE:PATH"; a local path (absolute, ./..., or with
// a slash before any colon) has no service, as with docker cp.
func splitCpArg(arg string) (service, p string) {
	if filepath.IsAbs(arg) || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	svc, rest, ok := strings.Cut(arg, ":")
	if !ok || svc == "" || strings.Contains(svc, "/") {
		return "", arg
	}
	return svc, rest
}

func runCp(ctx context.Context, deps *Deps, g *globalOptions, o *cpOptions, args []string) error {
	srcSvc, src := splitCpArg(args[0])
	dstSvc, dst := splitCpArg(args[1])
	switch {
	case srcSvc != "" && dstSvc != "":
		return usageError{errors.New("copying between services is not supported: copy to the local filesystem first")}
	case srcSvc == "" && dstSvc == "":
		return usageError{errors.New("one of the paths must be SERVICE:PATH")}
	case src == "-" || dst == "-":
		return usageError{errors.New("streaming a tar archive through stdin or stdout (\"-\") is not supported yet")}
	}
	service := srcSvc + dstSvc
	if g.DryRun {
		fmt.Fprintln(deps.Stderr, "DRY-RUN MODE: nothing is changed")
		fmt.Fprintf(deps.Stdout, "copy %s to %s\n", args[0], args[1])
		return nil
	}
	t, err := g.openTarget(ctx, deps, []string{service})
	if err != nil {
		return err
	}
	defer t.eng.Close()
	cs, err := t.containers(ctx)
	if err != nil {
		return err
	}
	if srcSvc != "" {
		c, err := serviceContainer(cs, srcSvc, o.Index)
		if err != nil {
			return err
		}
		local := localPath(deps, dst)
		return eachContainer(ctx, deps, []convergence.Container{c}, "Copying", "Copied", func(ctx context.Context, c convergence.Container) error {
			return copyFromContainer(ctx, t.eng, c.ID, containerPath(src), local, o.FollowLink)
		})
	}
	targets := selectContainers(cs, []string{dstSvc}, o.Index, false)
	if len(targets) == 0 {
		if _, err := serviceContainer(cs, dstSvc, o.Index); err != nil {
			return err
		}
	}
	local := localPath(deps, src)
	return eachContainer(ctx, deps, targets, "Copying", "Copied", func(ctx context.Context, c convergence.Container) error {
		return copyToContainer(ctx, t.eng, c.ID, local, containerPath(dst), o.Archive, o.FollowLink)
	})
}

// localPath resolves a host path against the working directory.
func localPath(deps *Deps, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	trailing := strings.HasSuffix(p, "/")
	p = filepath.Join(deps.WorkDir, p)
	if trailing {
		p += "/"
	}
	return p
}

// containerPath makes a container path absolute: docker cp reads relative
// container paths from the root.
func containerPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if p != "/" && strings.HasSuffix(p, "/") {
		return path.Clean(p) + "/"
	}
	return path.Clean(p)
}

// copyToContainer sends a local file or directory: into dst when dst is
// an existing directory, else as dst itself.
func copyToContainer(ctx context.Context, eng Engine, id, src, dst string, archive, follow bool) error {
	st, err := eng.StatContainerPath(ctx, id, dst)
	dir, name := path.Dir(strings.TrimSuffix(dst, "/")), path.Base(dst)
	switch {
	case err == nil && st.Mode.IsDir():
		dir, name = dst, filepath.Base(strings.TrimSuffix(src, "/"))
	case err == nil:
		if info, serr := statLocal(src, follow); serr == nil && info.IsDir() {
			return fmt.Errorf("cannot copy directory %q onto file %q", src, dst)
		}
	case convergence.IsNotFound(err):
		if strings.HasSuffix(dst, "/") {
			return fmt.Errorf("destination directory %q does not exist in the container", dst)
		}
	default:
		return err
	}
	return sendTar(ctx, eng, id, dir, src, name, archive, follow)
}

// copyFromContainer fetches a container path: into dst when dst is an
// existing directory, else as dst itself (its parent must exist).
func copyFromContainer(ctx context.Context, eng Engine, id, src, dst string, follow bool) error {
	rc, st, err := eng.CopyFromContainer(ctx, id, src)
	if err != nil {
		return err
	}
	if follow && st.LinkTarget != "" {
		rc.Close()
		if rc, st, err = eng.CopyFromContainer(ctx, id, st.LinkTarget); err != nil {
			return err
		}
	}
	defer rc.Close()
	rename := ""
	clean := strings.TrimSuffix(dst, "/")
	info, err := statLocal(clean, true)
	switch {
	case err == nil && info.IsDir():
	case err == nil:
		if st.Mode.IsDir() {
			return fmt.Errorf("cannot copy directory %q onto file %q", src, dst)
		}
		clean, rename = filepath.Dir(clean), filepath.Base(clean)
	case errors.Is(err, errNotExist):
		if strings.HasSuffix(dst, "/") {
			return fmt.Errorf("destination directory %q does not exist", dst)
		}
		clean, rename = filepath.Dir(clean), filepath.Base(clean)
	default:
		return err
	}
	return extractTar(rc, clean, st.Name, rename)
}
