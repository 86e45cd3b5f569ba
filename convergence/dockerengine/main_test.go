package dockerengine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"

	"github.com/mycompose/mycompose/project"
)

// Test images, built offline by scripts/test-images.sh.
const (
	imageLatest = "mycompose-test/busybox:latest"
	imageAlt    = "mycompose-test/busybox:alt"
)

// runID makes the names of one test run unique on a shared engine.
var runID = randomHex(4)

// TestMain fails the whole package, rather than skipping, when the engine is
// unreachable, and builds the test images when they are missing.
func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "dockerengine tests need a running Docker engine: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// setup pings the engine and ensures the test images exist.
func setup() error {
	e, err := New("")
	if err != nil {
		return err
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Ping(ctx); err != nil {
		return err
	}
	for _, ref := range []string{imageLatest, imageAlt} {
		_, err := e.cli.ImageInspect(ctx, ref)
		if err == nil {
			continue
		}
		if !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("inspect image %q: %w", ref, err)
		}
		cmd := exec.Command("../../scripts/test-images.sh")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build test images with scripts/test-images.sh: %w", err)
		}
		break
	}
	return nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// newEngine returns an engine on the environment's daemon, closed at cleanup.
func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New("")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// testCtx returns a context bounded for one test.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// uniqueName returns "mycompose-detest-<run>-<test>-<suffix>", lowercase.
func uniqueName(t *testing.T, suffix string) string {
	t.Helper()
	test := strings.ToLower(strings.TrimPrefix(t.Name(), "Test"))
	test = strings.NewReplacer("/", "-", "_", "-").Replace(test)
	name := "mycompose-detest-" + runID + "-" + test
	if suffix != "" {
		name += "-" + suffix
	}
	return name
}

// projectLabels returns labels that put an object in the test's project.
func projectLabels(projectName string, extra map[string]string) map[string]string {
	labels := map[string]string{project.LabelProject: projectName}
	for k, v := range extra {
		labels[k] = v
	}
	return labels
}

// cleaner removes the objects a test names, whether or not they were
// created, in dependency order: containers, then networks, volumes, images.
type cleaner struct {
	t                                     *testing.T
	e                                     *Engine
	containers, networks, volumes, images []string
}

// newCleaner returns a cleaner that runs at the end of the test, even when
// it fails.
func newCleaner(t *testing.T, e *Engine) *cleaner {
	c := &cleaner{t: t, e: e}
	t.Cleanup(c.run)
	return c
}

func (c *cleaner) container(names ...string) { c.containers = append(c.containers, names...) }
func (c *cleaner) network(names ...string)   { c.networks = append(c.networks, names...) }
func (c *cleaner) volume(names ...string)    { c.volumes = append(c.volumes, names...) }
func (c *cleaner) image(refs ...string)      { c.images = append(c.images, refs...) }

// run removes everything registered, reporting failures other than "not found".
func (c *cleaner) run() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	check := func(kind, name string, err error) {
		if err != nil && !cerrdefs.IsNotFound(err) {
			c.t.Errorf("cleanup %s %q: %v", kind, name, err)
		}
	}
	for _, n := range c.containers {
		check("container", n, c.e.cli.ContainerRemove(ctx, n, container.RemoveOptions{Force: true, RemoveVolumes: true}))
	}
	for _, n := range c.networks {
		check("network", n, c.e.cli.NetworkRemove(ctx, n))
	}
	for _, n := range c.volumes {
		check("volume", n, c.e.cli.VolumeRemove(ctx, n, true))
	}
	for _, n := range c.images {
		_, err := c.e.cli.ImageRemove(ctx, n, image.RemoveOptions{})
		check("image", n, err)
	}
}

// inspectContainer inspects a container through the SDK directly.
func inspectContainer(t *testing.T, e *Engine, id string) container.InspectResponse {
	t.Helper()
	info, err := e.cli.ContainerInspect(testCtx(t), id)
	if err != nil {
		t.Fatalf("inspect container %q: %v", id, err)
	}
	return info
}

// wantErrIs fails the test unless err wraps target.
func wantErrIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one wrapping %q", what, err, target)
	}
}
