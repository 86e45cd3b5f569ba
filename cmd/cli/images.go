package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence"
)

type imagesOptions struct {
	Quiet  bool
	Format string
}

func newImagesCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &imagesOptions{}
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [SERVICE...]",
		Short: "List images used by the created containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImages(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only display image IDs")
	f.StringVar(&o.Format, "format", "table", "format the output: table or json")
	return cmd
}

// imageEntry is one line of `images`, with Docker Compose's JSON names.
type imageEntry struct {
	ID            string `json:"ID"`
	ContainerName string `json:"ContainerName"`
	Repository    string `json:"Repository"`
	Tag           string `json:"Tag"`
	Size          int64  `json:"Size"`
}

func runImages(ctx context.Context, deps *Deps, g *globalOptions, o *imagesOptions, args []string) error {
	if o.Format != "table" && o.Format != "json" {
		return usageError{fmt.Errorf("invalid --format %q: use table or json", o.Format)}
	}
	t, err := g.openTarget(ctx, deps, args)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	cs, err := t.containers(ctx)
	if err != nil {
		return err
	}
	infos := map[string]convergence.ImageInfo{}
	var entries []imageEntry
	for _, c := range selectContainers(cs, args, 0, true) {
		info, ok := infos[c.ImageID]
		if !ok {
			if info, err = t.eng.InspectImage(ctx, c.ImageID); err != nil {
				return err
			}
			infos[c.ImageID] = info
		}
		repo, tag := splitReference(c.Image, info.RepoTags)
		entries = append(entries, imageEntry{ID: info.ID, ContainerName: c.Name, Repository: repo, Tag: tag, Size: info.Size})
	}
	switch {
	case o.Quiet:
		seen := map[string]bool{}
		for _, e := range entries {
			if !seen[e.ID] {
				seen[e.ID] = true
				fmt.Fprintln(deps.Stdout, e.ID)
			}
		}
	case o.Format == "json":
		if entries == nil {
			entries = []imageEntry{}
		}
		return json.NewEncoder(deps.Stdout).Encode(entries)
	default:
		tw := tabwriter.NewWriter(deps.Stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ContainerName, e.Repository, e.Tag, shortImageID(e.ID), humanSize(e.Size))
		}
		tw.Flush()
	}
	return nil
}

// splitReference splits the container's image reference into repository
// and tag; a reference by ID falls back to the image's first tag.
func splitReference(ref string, tags []string) (string, string) {
	if strings.HasPrefix(ref, "sha256:") {
		if len(tags) == 0 {
			return "<none>", "<none>"
		}
		sorted := append([]string(nil), tags...)
		sort.Strings(sorted)
		ref = sorted[0]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}

func shortImageID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// humanSize renders bytes in decimal units with three significant digits,
// as the docker CLI does ("4.26MB").
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}
