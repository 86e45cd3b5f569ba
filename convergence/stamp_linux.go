package convergence

import (
	"io/fs"
	"syscall"
)

// changeTime is a file's change time (ns) and inode.
func changeTime(info fs.FileInfo) (int64, uint64, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return st.Ctim.Nano(), st.Ino, true
}
