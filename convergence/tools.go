package convergence

import (
	"context"
	"io"
)

// Snapshots serves the commands that read a container's resource usage or
// take a copy of it: stats, export and commit. It is a role of its own so
// that the convergence seam stays narrow.
type Snapshots interface {
	// ContainerStats returns one sample of a container's resource usage
	// (the engine measures the CPU over about a second).
	ContainerStats(ctx context.Context, id string) (Stats, error)
	// ExportContainer streams a container's filesystem as a tar archive.
	ExportContainer(ctx context.Context, id string) (io.ReadCloser, error)
	// CommitContainer makes an image of a container's changes and returns
	// the image ID.
	CommitContainer(ctx context.Context, id string, opts CommitOptions) (string, error)
}

// Stats is one resource sample of a container, computed as `docker stats`
// computes it.
type Stats struct {
	CPUPercent float64
	MemUsage   uint64 // bytes, page cache excluded
	MemLimit   uint64
	MemPercent float64
	NetRx      uint64
	NetTx      uint64
	BlockRead  uint64
	BlockWrite uint64
	PIDs       uint64
}

// CommitOptions are commit's flags.
type CommitOptions struct {
	Reference string // repository[:tag], "" for an untagged image
	Comment   string
	Author    string
	Changes   []string // Dockerfile instructions (CMD, ENV, ...)
	Pause     bool
}
