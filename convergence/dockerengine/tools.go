package dockerengine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/api/types/container"

	"github.com/mycompose/mycompose/convergence"
)

var _ convergence.Snapshots = (*Engine)(nil)

// ContainerStats takes one sample: the engine fills the previous CPU
// reading itself when not streaming.
func (e *Engine) ContainerStats(ctx context.Context, id string) (convergence.Stats, error) {
	resp, err := e.cli.ContainerStats(ctx, id, false)
	if err != nil {
		return convergence.Stats{}, e.fail(err, fmt.Sprintf("stats of container %s", id), callCreate)
	}
	defer resp.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return convergence.Stats{}, fmt.Errorf("stats of container %s: decode: %w", id, err)
	}
	return statsOf(s), nil
}

// statsOf computes what `docker stats` shows from a raw sample.
func statsOf(s container.StatsResponse) convergence.Stats {
	out := convergence.Stats{PIDs: s.PidsStats.Current, MemLimit: s.MemoryStats.Limit}
	cpuDelta := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	cpus := float64(s.CPUStats.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if cpuDelta > 0 && sysDelta > 0 {
		out.CPUPercent = cpuDelta / sysDelta * cpus * 100
	}
	// Page cache is not the container's own memory: cgroup v1 reports it
	// as total_inactive_file, v2 as inactive_file.
	usage := s.MemoryStats.Usage
	cache := s.MemoryStats.Stats["total_inactive_file"]
	if v, ok := s.MemoryStats.Stats["inactive_file"]; ok && cache == 0 {
		cache = v
	}
	if cache < usage {
		usage -= cache
	}
	out.MemUsage = usage
	if s.MemoryStats.Limit > 0 {
		out.MemPercent = float64(usage) / float64(s.MemoryStats.Limit) * 100
	}
	for _, n := range s.Networks {
		out.NetRx += n.RxBytes
		out.NetTx += n.TxBytes
	}
	for _, b := range s.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(b.Op) {
		case "read":
			out.BlockRead += b.Value
		case "write":
			out.BlockWrite += b.Value
		}
	}
	return out
}

// ExportContainer streams the container's filesystem.
func (e *Engine) ExportContainer(ctx context.Context, id string) (io.ReadCloser, error) {
	rc, err := e.cli.ContainerExport(ctx, id)
	if err != nil {
		return nil, e.fail(err, fmt.Sprintf("export container %s", id), callCreate)
	}
	return rc, nil
}

// CommitContainer commits the container's changes to a new image.
func (e *Engine) CommitContainer(ctx context.Context, id string, opts convergence.CommitOptions) (string, error) {
	resp, err := e.cli.ContainerCommit(ctx, id, container.CommitOptions{
		Reference: opts.Reference, Comment: opts.Comment, Author: opts.Author,
		Changes: opts.Changes, Pause: opts.Pause,
	})
	if err != nil {
		return "", e.fail(err, fmt.Sprintf("commit container %s", id), callCreate)
	}
	return resp.ID, nil
}
