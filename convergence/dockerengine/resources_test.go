package dockerengine

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

func TestPingUnreachableNamesEndpoint(t *testing.T) {
	const host = "unix:///nonexistent.sock"
	e, err := New(host)
	if err != nil {
		t.Fatalf("New(%q): %v", host, err)
	}
	defer e.Close()
	if got := e.Endpoint(); got != host {
		t.Errorf("Endpoint() = %q, want %q", got, host)
	}
	err = e.Ping(testCtx(t))
	if err == nil {
		t.Fatal("Ping of a missing socket succeeded")
	}
	want := "cannot connect to the Docker engine at unix:///nonexistent.sock: is the daemon running?"
	if err.Error() != want {
		t.Errorf("Ping error = %q, want %q", err, want)
	}
	_, err = e.ListContainers(testCtx(t), "p")
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("ListContainers error = %q, want one line containing %q", err, want)
	}
}

func TestPingReachable(t *testing.T) {
	if err := newEngine(t).Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestEngineVersionAfterPing checks that Ping settles the API version: the
// version then comes without a call, the release with one, and both agree
// with a fresh engine's answer.
func TestEngineVersionAfterPing(t *testing.T) {
	e := newEngine(t)
	if err := e.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	ev, err := e.EngineVersion(testCtx(t))
	if err != nil || ev.API == "" || ev.MaxAPI == "" || ev.Version != "" {
		t.Fatalf("EngineVersion after Ping = %+v, %v; want API and MaxAPI, no release", ev, err)
	}
	rel, err := e.EngineRelease(testCtx(t))
	if err != nil || rel == "" {
		t.Fatalf("EngineRelease = %q, %v", rel, err)
	}
	fresh := newEngine(t)
	want, err := fresh.EngineVersion(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if want.API != ev.API || want.MaxAPI != ev.MaxAPI || want.Version != rel {
		t.Errorf("after Ping: %+v and release %q; without: %+v", ev, rel, want)
	}
}

func TestContextCanceled(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.ListContainers(ctx, "p"); !errors.Is(err, context.Canceled) {
		t.Errorf("ListContainers with a canceled context: got %v, want context.Canceled", err)
	}
	if _, err := e.ImageIDs(ctx, []string{imageLatest}); !errors.Is(err, context.Canceled) {
		t.Errorf("ImageIDs with a canceled context: got %v, want context.Canceled", err)
	}
}

func TestNetworkLifecycle(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	proj := uniqueName(t, "")
	name := uniqueName(t, "net")
	clean.network(name)
	labels := projectLabels(proj, map[string]string{project.LabelNetwork: "default", "user": "x"})

	id, err := e.CreateNetwork(ctx, convergence.NetworkSpec{
		Name: name, Driver: "bridge", Labels: labels, Attachable: true,
		DriverOpts: map[string]string{"com.docker.network.bridge.enable_icc": "true"},
	})
	if err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}

	nets, err := e.ListNetworks(ctx, proj)
	if err != nil {
		t.Fatalf("ListNetworks: %v", err)
	}
	if len(nets) != 1 || nets[0].ID != id || nets[0].Name != name || nets[0].Driver != "bridge" || nets[0].Labels["user"] != "x" {
		t.Fatalf("ListNetworks = %+v, want the one network %q (%s)", nets, name, id)
	}
	got, err := e.InspectNetwork(ctx, name)
	if err != nil || got.ID != id {
		t.Fatalf("InspectNetwork(%q) = %+v, %v; want ID %s", name, got, err, id)
	}
	raw, err := e.cli.NetworkInspect(ctx, id, network.InspectOptions{})
	if err != nil {
		t.Fatalf("inspect network: %v", err)
	}
	if !raw.Attachable || raw.Options["com.docker.network.bridge.enable_icc"] != "true" {
		t.Errorf("network attachable=%v options=%v, want attachable and the driver option", raw.Attachable, raw.Options)
	}

	// A second network with the same name is refused even on API 1.41.
	_, err = e.CreateNetwork(ctx, convergence.NetworkSpec{Name: name, Labels: labels})
	wantErrIs(t, err, convergence.ErrConflict, "CreateNetwork of a duplicate name")
	// A network whose name merely contains ours is not a conflict.
	longer := name + "-more"
	clean.network(longer)
	if _, err := e.CreateNetwork(ctx, convergence.NetworkSpec{Name: longer}); err != nil {
		t.Fatalf("CreateNetwork(%q): %v", longer, err)
	}
	shorter := strings.TrimSuffix(name, "-net")
	clean.network(shorter)
	if _, err := e.CreateNetwork(ctx, convergence.NetworkSpec{Name: shorter}); err != nil {
		t.Fatalf("CreateNetwork(%q), a prefix of another network's name: %v", shorter, err)
	}

	if err := e.RemoveNetwork(ctx, id); err != nil {
		t.Fatalf("RemoveNetwork: %v", err)
	}
	wantErrIs(t, e.RemoveNetwork(ctx, name), convergence.ErrNotFound, "RemoveNetwork of a missing network")
	_, err = e.InspectNetwork(ctx, name)
	wantErrIs(t, err, convergence.ErrNotFound, "InspectNetwork of a missing network")
	if nets, err := e.ListNetworks(ctx, proj); err != nil || len(nets) != 0 {
		t.Errorf("ListNetworks after remove = %+v, %v; want none", nets, err)
	}
}

func TestNetworkIPAM(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	name := uniqueName(t, "")
	clean.network(name)
	subnet := randomSubnet()
	_, err := e.CreateNetwork(ctx, convergence.NetworkSpec{
		Name: name, Internal: true,
		IPAM: project.IPAM{Configs: []project.IPAMConfig{{Subnet: subnet + ".0/24", Gateway: subnet + ".1"}}},
	})
	if err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}
	raw, err := e.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		t.Fatalf("inspect network: %v", err)
	}
	if !raw.Internal || len(raw.IPAM.Config) != 1 || raw.IPAM.Config[0].Subnet != subnet+".0/24" || raw.IPAM.Config[0].Gateway != subnet+".1" {
		t.Errorf("network internal=%v IPAM=%+v, want internal with subnet %s.0/24", raw.Internal, raw.IPAM, subnet)
	}
}

func TestVolumeLifecycle(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	proj := uniqueName(t, "")
	name := uniqueName(t, "data")
	clean.volume(name)
	labels := projectLabels(proj, map[string]string{project.LabelVolume: "data"})

	if err := e.CreateVolume(ctx, convergence.VolumeSpec{Name: name, Labels: labels}); err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	vols, err := e.ListVolumes(ctx, proj)
	if err != nil {
		t.Fatalf("ListVolumes: %v", err)
	}
	if len(vols) != 1 || vols[0].Name != name || vols[0].Driver != "local" || vols[0].Labels[project.LabelVolume] != "data" {
		t.Fatalf("ListVolumes = %+v, want the one volume %q", vols, name)
	}
	if v, err := e.InspectVolume(ctx, name); err != nil || v.Name != name {
		t.Fatalf("InspectVolume = %+v, %v", v, err)
	}

	// The engine's create is idempotent: the same volume again is fine, a
	// volume of that name with other labels is a conflict.
	if err := e.CreateVolume(ctx, convergence.VolumeSpec{Name: name, Labels: labels}); err != nil {
		t.Errorf("CreateVolume of an identical volume: %v", err)
	}
	err = e.CreateVolume(ctx, convergence.VolumeSpec{Name: name, Labels: projectLabels("other", nil)})
	wantErrIs(t, err, convergence.ErrConflict, "CreateVolume over a foreign volume")

	if err := e.RemoveVolume(ctx, name); err != nil {
		t.Fatalf("RemoveVolume: %v", err)
	}
	wantErrIs(t, e.RemoveVolume(ctx, name), convergence.ErrNotFound, "RemoveVolume of a missing volume")
	_, err = e.InspectVolume(ctx, name)
	wantErrIs(t, err, convergence.ErrNotFound, "InspectVolume of a missing volume")
}

func TestImageIDs(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	latest, err := e.cli.ImageInspect(ctx, imageLatest)
	if err != nil {
		t.Fatalf("inspect %s: %v", imageLatest, err)
	}
	alt, err := e.cli.ImageInspect(ctx, imageAlt)
	if err != nil {
		t.Fatalf("inspect %s: %v", imageAlt, err)
	}
	missing := "mycompose-test/absent:" + runID
	ids, err := e.ImageIDs(ctx, []string{imageLatest, missing, imageAlt, imageLatest, ""})
	if err != nil {
		t.Fatalf("ImageIDs: %v", err)
	}
	want := map[string]string{imageLatest: latest.ID, imageAlt: alt.ID}
	if len(ids) != len(want) || ids[imageLatest] != latest.ID || ids[imageAlt] != alt.ID {
		t.Errorf("ImageIDs = %v, want %v", ids, want)
	}
	if ids, err := e.ImageIDs(ctx, nil); err != nil || len(ids) != 0 {
		t.Errorf("ImageIDs(nil) = %v, %v; want empty", ids, err)
	}
}

func TestRemoveImage(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	ref := "mycompose-test/busybox:" + uniqueName(t, "")
	clean.image(ref)
	if err := e.cli.ImageTag(ctx, imageLatest, ref); err != nil {
		t.Fatalf("tag %s: %v", ref, err)
	}
	if err := e.RemoveImage(ctx, ref); err != nil {
		t.Fatalf("RemoveImage(%q): %v", ref, err)
	}
	if ids, err := e.ImageIDs(ctx, []string{ref, imageLatest}); err != nil || ids[ref] != "" || ids[imageLatest] == "" {
		t.Errorf("after RemoveImage, ImageIDs = %v, %v; want only %s (untag, not delete)", ids, err, imageLatest)
	}
	wantErrIs(t, e.RemoveImage(ctx, ref), convergence.ErrNotFound, "RemoveImage of a missing image")
}

// randomSubnet returns a random "10.x.y" /24 prefix for tests that need a
// user-defined subnet, to keep clear of other test runs.
func randomSubnet() string {
	return fmt.Sprintf("10.%d.%d", 200+mrand.IntN(50), mrand.IntN(256))
}
