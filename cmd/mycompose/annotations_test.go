package main

import (
	"strings"
	"testing"

	"github.com/mycompose/mycompose/convergence"
)

// TestAnnotations: annotations reach the container's host config on an
// engine with API 1.43 or later (the second engine, Docker 26.1); on API
// 1.41 they are refused before anything is created, naming the key, the
// version it needs and the engine's.
func TestAnnotations(t *testing.T) {
	release, api := engineAPI(t)
	h := newHarness(t, "annotations")
	if !convergence.APIAtLeast(api, "1.43") {
		r := h.fails("needs Docker Engine API", "up", "-d")
		want := `compose.yaml:6: service "app": key "annotations" needs Docker Engine API 1.43 or later, but the engine (Docker ` + release + `) is used with API ` + api
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
		h.want()
		return
	}
	h.ok("up", "-d")
	h.want("app-1 running")
	var ann map[string]string
	inspectJSON(t, h.project+"-app-1", ".HostConfig.Annotations", &ann)
	if ann["com.example.note"] != "parity" {
		t.Errorf("annotations %v", ann)
	}
}
