package render

import (
	"strings"

	"github.com/mycompose/mycompose/convergence"
)

// Transfers follows the engine's per-layer progress of pulls and pushes and
// derives, per image, a phase and the bytes moved of the bytes known.
type Transfers struct {
	images map[string]*transfer
}

type transfer struct {
	layers map[string]*layer
	phase  string
}

type layer struct {
	status string
	size   int64 // bytes to move, from the first event that tells
	moved  int64 // bytes moved so far
	done   bool
}

// Progress is one image's transfer as a whole.
type Progress struct {
	// Phase is Downloading, Extracting or Pushing; "" until a layer
	// says (the image's own event, Pulling or Pushing, stands until then).
	Phase          string
	Current, Total int64
}

// layerDone are the statuses after which a layer has nothing left to do.
func layerDone(status string) bool {
	switch {
	case status == "Pull complete", status == "Already exists", status == "Pushed",
		status == "Layer already exists", strings.HasPrefix(status, "Mounted from"):
		return true
	}
	return false
}

// downloaded are the statuses after a layer's download.
var downloaded = map[string]bool{"Verifying Checksum": true, "Download complete": true, "Extracting": true, "Pull complete": true, "Pushed": true}

// Apply records one engine message. It returns the image's progress and,
// for a layer message, the layer's child line (nil for image messages).
func (t *Transfers) Apply(e convergence.PullEvent) (Progress, *Line) {
	if t.images == nil {
		t.images = map[string]*transfer{}
	}
	im, ok := t.images[e.Ref]
	if !ok {
		im = &transfer{layers: map[string]*layer{}}
		t.images[e.Ref] = im
	}
	var child *Line
	if e.Layer != "" {
		l, ok := im.layers[e.Layer]
		if !ok {
			l = &layer{}
			im.layers[e.Layer] = l
		}
		l.status, l.done = e.Status, layerDone(e.Status)
		switch {
		case e.Status == "Downloading" || e.Status == "Pushing":
			if e.Total > 0 {
				l.size = e.Total
			}
			l.moved = e.Current
		case downloaded[e.Status]:
			l.moved = l.size
		}
		child = &Line{Status: e.Status, State: Working}
		if l.done {
			child.State = Done
		}
		if e.Total > 0 && (e.Status == "Downloading" || e.Status == "Extracting" || e.Status == "Pushing") {
			child.Current, child.Total = e.Current, e.Total
		}
		im.phase = phaseOf(im)
	}
	p := Progress{Phase: im.phase}
	for _, l := range im.layers {
		p.Current += l.moved
		p.Total += l.size
	}
	return p, child
}

// phaseOf decides an image's phase from its layers: downloading while any
// layer downloads, extracting while any extracts, pushing while any pushes.
func phaseOf(im *transfer) string {
	has := map[string]bool{}
	for _, l := range im.layers {
		has[l.status] = true
	}
	switch {
	case has["Downloading"]:
		return "Downloading"
	case has["Extracting"] || has["Verifying Checksum"] || has["Download complete"]:
		return "Extracting"
	case has["Pushing"] || has["Preparing"]:
		return "Pushing"
	}
	return im.phase
}
