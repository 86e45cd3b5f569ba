package dockerengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/mycompose/mycompose/convergence"
)

// ContainerLogs streams a container's logs into stdout and stderr. The
// engine multiplexes both streams into one unless the container has a TTY,
// so the container is inspected first to know how to read it.
func (e *Engine) ContainerLogs(ctx context.Context, id string, opts convergence.LogOptions, stdout, stderr io.Writer) error {
	op := fmt.Sprintf("logs of container %q", id)
	info, err := e.cli.ContainerInspect(ctx, id)
	if err != nil {
		return e.fail(err, op, callOther)
	}
	tail := opts.Tail
	if tail == "" {
		tail = "all"
	}
	rc, err := e.cli.ContainerLogs(ctx, id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: tail,
		Since: engineTime(opts.Since), Until: engineTime(opts.Until), Timestamps: opts.Timestamps,
	})
	if err != nil {
		return e.fail(err, op, callOther)
	}
	defer rc.Close()
	if info.Config != nil && info.Config.Tty {
		_, err = io.Copy(stdout, rc)
	} else {
		err = demux(stdout, stderr, rc)
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return e.streamFail(err, op)
}

// engineTime renders a time as the engine's "seconds.nanoseconds"; zero is
// "" (unbounded).
func engineTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10) + "." + fmt.Sprintf("%09d", t.Nanosecond())
}

// Exec runs a command in a running container and returns its exit code.
func (e *Engine) Exec(ctx context.Context, id string, spec convergence.ExecSpec, stdio convergence.Stdio) (int, error) {
	op := fmt.Sprintf("exec in container %q", id)
	attach := !spec.Detach
	created, err := e.cli.ContainerExecCreate(ctx, id, container.ExecOptions{
		User: spec.User, Privileged: spec.Privileged, Tty: spec.Tty, Env: spec.Env, WorkingDir: spec.WorkingDir, Cmd: spec.Cmd,
		AttachStdin: attach && stdio.Stdin != nil, AttachStdout: attach, AttachStderr: attach, Detach: spec.Detach,
	})
	if err != nil {
		return 0, e.fail(err, op, callOther)
	}
	if spec.Detach {
		return 0, e.fail(e.cli.ContainerExecStart(ctx, created.ID, container.ExecStartOptions{Detach: true}), op, callOther)
	}
	resp, err := e.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: spec.Tty})
	if err != nil {
		return 0, e.fail(err, op, callOther)
	}
	defer resp.Close()
	resize := func(s convergence.TermSize) error {
		return e.cli.ContainerExecResize(ctx, created.ID, container.ResizeOptions{Height: s.Height, Width: s.Width})
	}
	if err := pump(ctx, resp, stdio, resize); err != nil {
		return 0, e.streamFail(err, op)
	}
	// The output ends when the process exits, but the engine records the
	// exit code a moment later.
	for i := 0; ; i++ {
		info, err := e.cli.ContainerExecInspect(ctx, created.ID)
		if err != nil {
			return 0, e.fail(err, op, callOther)
		}
		if !info.Running || i >= 100 {
			return info.ExitCode, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// AttachContainer connects stdio to a container's main process. Attaching
// before the start is what lets `run` see the very first output.
func (e *Engine) AttachContainer(ctx context.Context, id string, stdio convergence.Stdio) (<-chan error, error) {
	op := fmt.Sprintf("attach to container %q", id)
	resp, err := e.cli.ContainerAttach(ctx, id, container.AttachOptions{
		Stream: true, Stdin: stdio.Stdin != nil, Stdout: true, Stderr: true, DetachKeys: stdio.DetachKeys,
	})
	if err != nil {
		return nil, e.fail(err, op, callOther)
	}
	resize := func(s convergence.TermSize) error {
		return e.cli.ContainerResize(ctx, id, container.ResizeOptions{Height: s.Height, Width: s.Width})
	}
	done := make(chan error, 1)
	go func() {
		defer resp.Close()
		if err := pump(ctx, resp, stdio, resize); err != nil {
			done <- e.streamFail(err, op)
			return
		}
		done <- nil
	}()
	return done, nil
}

// pump copies stdin to a hijacked connection and its output to stdout and
// stderr until the output ends or ctx is done. End of input half-closes
// the connection so the process sees EOF; the output is what ends the
// session, as with the docker CLI, since stdin may never end (a terminal).
func pump(ctx context.Context, resp types.HijackedResponse, stdio convergence.Stdio, resize func(convergence.TermSize) error) error {
	outDone := make(chan error, 1)
	go func() {
		var err error
		if stdio.Tty {
			_, err = io.Copy(stdio.Stdout, resp.Reader)
		} else {
			_, err = stdcopy.StdCopy(stdio.Stdout, stdio.Stderr, resp.Reader)
		}
		outDone <- err
	}()
	if stdio.Stdin != nil {
		go func() {
			io.Copy(resp.Conn, stdio.Stdin)
			resp.CloseWrite()
		}()
	}
	for {
		select {
		case err := <-outDone:
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return err
		case s, ok := <-stdio.Resize:
			if !ok {
				stdio.Resize = nil
				continue
			}
			// A resize racing the process start fails harmlessly; the
			// next one applies.
			_ = resize(s)
		case <-ctx.Done():
			resp.Close()
			<-outDone
			return ctx.Err()
		}
	}
}

// StatContainerPath describes a path inside a container.
func (e *Engine) StatContainerPath(ctx context.Context, id, path string) (convergence.PathStat, error) {
	st, err := e.cli.ContainerStatPath(ctx, id, path)
	if err != nil {
		return convergence.PathStat{}, e.fail(err, fmt.Sprintf("stat %q in container %q", path, id), callOther)
	}
	return convergence.PathStat{Name: st.Name, Size: st.Size, Mode: st.Mode, ModTime: st.Mtime, LinkTarget: st.LinkTarget}, nil
}

// CopyToContainer extracts a tar stream into a directory of a container.
func (e *Engine) CopyToContainer(ctx context.Context, id, dstDir string, tarStream io.Reader) error {
	err := e.cli.CopyToContainer(ctx, id, dstDir, tarStream, container.CopyToContainerOptions{})
	return e.fail(err, fmt.Sprintf("copy to %q in container %q", dstDir, id), callOther)
}

// CopyFromContainer returns a path of a container as a tar stream.
func (e *Engine) CopyFromContainer(ctx context.Context, id, srcPath string) (io.ReadCloser, convergence.PathStat, error) {
	rc, st, err := e.cli.CopyFromContainer(ctx, id, srcPath)
	if err != nil {
		return nil, convergence.PathStat{}, e.fail(err, fmt.Sprintf("copy %q from container %q", srcPath, id), callOther)
	}
	return rc, convergence.PathStat{Name: st.Name, Size: st.Size, Mode: st.Mode, ModTime: st.Mtime, LinkTarget: st.LinkTarget}, nil
}
