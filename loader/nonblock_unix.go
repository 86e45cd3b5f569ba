//go:build unix

package loader

import "syscall"

// nonBlock opens a FIFO without waiting for a writer, so that the type
// check can refuse it.
const nonBlock = syscall.O_NONBLOCK
