package cli

import "golang.org/x/sys/unix"

// rawOutput turns off output processing on a terminal: containerd/console's
// raw mode keeps it, so the remote TTY's "\r\n" would print as "\r\r\n".
func rawOutput(fd uintptr) error {
	t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	if err != nil {
		return err
	}
	t.Oflag &^= unix.OPOST
	return unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
}
