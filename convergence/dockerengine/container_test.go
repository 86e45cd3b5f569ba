package dockerengine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// richSpec returns a container spec exercising most mapped fields.
func richSpec(proj, volumeName, hostDir, roDir string) project.ContainerSpec {
	// A stop timeout long enough that a loaded machine still delivers the
	// SIGTERM to the trap before the engine falls back to SIGKILL.
	stop, init := 15, true
	return project.ContainerSpec{
		Image:       imageLatest,
		Env:         []string{"A=1", "B=two words"},
		Labels:      projectLabels(proj, map[string]string{project.LabelService: "web", "user.label": "v"}),
		WorkingDir:  "/tmp",
		Hostname:    "webhost",
		StopSignal:  "SIGTERM",
		StopTimeout: &stop,
		Healthcheck: &project.Healthcheck{
			Test: []string{"CMD", "true"}, Interval: int64(2 * time.Second),
			Timeout: int64(time.Second), StartPeriod: int64(500 * time.Millisecond), Retries: 4,
		},
		ExposedPorts: []string{"9000/udp"},
		Ports:        []project.PortBinding{{ContainerPort: 80, Protocol: "tcp", HostIP: "127.0.0.1"}},
		Mounts: []project.Mount{
			{Type: project.MountVolume, Source: volumeName, Target: "/named"},
			{Type: project.MountVolume, Target: "/anon"},
			{Type: project.MountTmpfs, Target: "/scratch", TmpfsSize: 1 << 20},
			{Type: project.MountBind, Source: hostDir, Target: "/host", CreateHostPath: true},
			{Type: project.MountBind, Source: roDir, Target: "/ro", ReadOnly: true},
		},
		Restart:    project.RestartPolicy{Name: "on-failure", MaxRetries: 3},
		Init:       &init,
		CapAdd:     []string{"NET_ADMIN"},
		ExtraHosts: []string{"somehost:10.1.2.3"},
		Ulimits:    []project.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}},
		ReadOnly:   false,
		Memory:     64 << 20,
		PidsLimit:  100,
	}
}

func TestCreateContainerRichSpec(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	proj := uniqueName(t, "")
	netName, volName, ctrName := uniqueName(t, "net"), uniqueName(t, "vol"), uniqueName(t, "web-1")
	clean.network(netName)
	clean.volume(volName)
	clean.container(ctrName)
	hostDir := filepath.Join(t.TempDir(), "created", "by-engine")
	roDir := t.TempDir()

	netID, err := e.CreateNetwork(ctx, convergence.NetworkSpec{Name: netName, Labels: projectLabels(proj, nil)})
	if err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}
	if err := e.CreateVolume(ctx, convergence.VolumeSpec{Name: volName, Labels: projectLabels(proj, nil)}); err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	id, err := e.CreateContainer(ctx, convergence.CreateSpec{
		Name: ctrName, Spec: richSpec(proj, volName, hostDir, roDir),
		PrimaryNetwork: netName, PrimaryEndpoint: convergence.Endpoint{Aliases: []string{"web", "www"}},
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}

	info := inspectContainer(t, e, id)
	cfg, hc := info.Config, info.HostConfig
	if info.Name != "/"+ctrName || cfg.Image != imageLatest || cfg.WorkingDir != "/tmp" || cfg.Hostname != "webhost" || cfg.StopSignal != "SIGTERM" {
		t.Errorf("name/image/workdir/hostname/stopsignal = %q %q %q %q %q", info.Name, cfg.Image, cfg.WorkingDir, cfg.Hostname, cfg.StopSignal)
	}
	for _, env := range []string{"A=1", "B=two words"} {
		if !slices.Contains(cfg.Env, env) {
			t.Errorf("Env %v lacks %q", cfg.Env, env)
		}
	}
	if cfg.Labels[project.LabelProject] != proj || cfg.Labels["user.label"] != "v" {
		t.Errorf("Labels = %v", cfg.Labels)
	}
	if cfg.StopTimeout == nil || *cfg.StopTimeout != 15 {
		t.Errorf("StopTimeout = %v, want 15", cfg.StopTimeout)
	}
	if h := cfg.Healthcheck; h == nil || !slices.Equal(h.Test, []string{"CMD", "true"}) || h.Interval != 2*time.Second ||
		h.Timeout != time.Second || h.StartPeriod != 500*time.Millisecond || h.Retries != 4 {
		t.Errorf("Healthcheck = %+v", cfg.Healthcheck)
	}
	for _, p := range []nat.Port{"80/tcp", "9000/udp"} {
		if _, ok := cfg.ExposedPorts[p]; !ok {
			t.Errorf("ExposedPorts %v lacks %s", cfg.ExposedPorts, p)
		}
	}
	if b := hc.PortBindings["80/tcp"]; len(b) != 1 || b[0].HostIP != "127.0.0.1" || b[0].HostPort != "" {
		t.Errorf("PortBindings = %v, want 127.0.0.1 with an engine-assigned port", hc.PortBindings)
	}
	if hc.RestartPolicy.Name != "on-failure" || hc.RestartPolicy.MaximumRetryCount != 3 {
		t.Errorf("RestartPolicy = %+v", hc.RestartPolicy)
	}
	if hc.Init == nil || !*hc.Init || hc.ReadonlyRootfs {
		t.Errorf("Init = %v, ReadonlyRootfs = %v", hc.Init, hc.ReadonlyRootfs)
	}
	if !slices.Contains(hc.CapAdd, "CAP_NET_ADMIN") {
		t.Errorf("CapAdd = %v", hc.CapAdd)
	}
	if !slices.Equal(hc.ExtraHosts, []string{"somehost:10.1.2.3"}) {
		t.Errorf("ExtraHosts = %v", hc.ExtraHosts)
	}
	if len(hc.Ulimits) != 1 || hc.Ulimits[0].Name != "nofile" || hc.Ulimits[0].Soft != 1024 || hc.Ulimits[0].Hard != 2048 {
		t.Errorf("Ulimits = %v", hc.Ulimits)
	}
	if hc.Memory != 64<<20 || hc.PidsLimit == nil || *hc.PidsLimit != 100 {
		t.Errorf("Memory = %d, PidsLimit = %v", hc.Memory, hc.PidsLimit)
	}
	if string(hc.NetworkMode) != netName {
		t.Errorf("NetworkMode = %q, want %q", hc.NetworkMode, netName)
	}
	if ep := info.NetworkSettings.Networks[netName]; ep == nil || !slices.Contains(ep.Aliases, "www") {
		t.Errorf("endpoint on %s = %+v, want alias www", netName, ep)
	}
	if want := []string{hostDir + ":/host"}; !slices.Equal(hc.Binds, want) {
		t.Errorf("Binds = %v, want %v", hc.Binds, want)
	}
	wantMounts := []mount.Mount{
		{Type: mount.TypeVolume, Source: volName, Target: "/named"},
		{Type: mount.TypeVolume, Target: "/anon"},
		{Type: mount.TypeTmpfs, Target: "/scratch", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20}},
		{Type: mount.TypeBind, Source: roDir, Target: "/ro", ReadOnly: true},
	}
	if len(hc.Mounts) != len(wantMounts) {
		t.Fatalf("HostConfig.Mounts = %+v, want %+v", hc.Mounts, wantMounts)
	}
	for i, want := range wantMounts {
		got := hc.Mounts[i]
		if got.Type != want.Type || got.Source != want.Source || got.Target != want.Target || got.ReadOnly != want.ReadOnly ||
			(want.TmpfsOptions != nil && (got.TmpfsOptions == nil || got.TmpfsOptions.SizeBytes != want.TmpfsOptions.SizeBytes)) {
			t.Errorf("HostConfig.Mounts[%d] = %+v, want %+v", i, got, want)
		}
	}

	// Start, then observe through the adapter.
	if err := e.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	if st, err := os.Stat(hostDir); err != nil || !st.IsDir() {
		t.Errorf("bind source %s was not created by the engine: %v", hostDir, err)
	}
	list, err := e.ListContainers(ctx, proj)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListContainers = %+v, %v; want one container", list, err)
	}
	c := list[0]
	ids, err := e.ImageIDs(ctx, []string{imageLatest})
	if err != nil {
		t.Fatalf("ImageIDs: %v", err)
	}
	if c.ID != id || c.Name != ctrName || c.Image != imageLatest || c.ImageID != ids[imageLatest] || c.State != "running" ||
		!strings.HasPrefix(c.Status, "Up") || c.Labels["user.label"] != "v" || c.Command == "" {
		t.Errorf("ListContainers entry = %+v", c)
	}
	if time.Since(c.Created) > 10*time.Minute || time.Since(c.Created) < 0 {
		t.Errorf("Created = %v, want just now", c.Created)
	}
	if c.Networks[netName] != netID {
		t.Errorf("Networks = %v, want %s -> %s", c.Networks, netName, netID)
	}
	if !hasPublishedPort(c.Ports, 80) {
		t.Errorf("Ports = %+v, want 80/tcp published on an engine-assigned port", c.Ports)
	}
	checkObservedMounts(t, c.Mounts, volName, roDir)

	// Stop with the container's own timeout, rename, remove.
	if err := e.StopContainer(ctx, id, nil); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	// 0: the shell's trap handled SIGTERM; 143: SIGTERM arrived before the
	// trap was set (a loaded machine). 137 would mean a SIGKILL after the
	// timeout, i.e. the stop signal never reached the process.
	if st := inspectContainer(t, e, id).State; st.Running || (st.ExitCode != 0 && st.ExitCode != 143) {
		t.Errorf("after stop: running=%v exit=%d, want stopped by SIGTERM (exit 0 or 143)", st.Running, st.ExitCode)
	}
	renamed := uniqueName(t, "renamed")
	clean.container(renamed)
	if err := e.RenameContainer(ctx, id, renamed); err != nil {
		t.Fatalf("RenameContainer: %v", err)
	}
	if list, err := e.ListContainers(ctx, proj); err != nil || len(list) != 1 || list[0].Name != renamed || list[0].State != "exited" {
		t.Errorf("after rename: ListContainers = %+v, %v; want %q exited", list, err, renamed)
	}
	anon := anonymousVolume(t, c.Mounts)
	if err := e.RemoveContainer(ctx, id, true); err != nil {
		t.Fatalf("RemoveContainer: %v", err)
	}
	if _, err := e.InspectVolume(ctx, anon); !convergence.IsNotFound(err) {
		t.Errorf("anonymous volume %s after RemoveContainer(removeVolumes): %v, want not found", anon, err)
	}
	if _, err := e.InspectVolume(ctx, volName); err != nil {
		t.Errorf("named volume after RemoveContainer: %v, want it kept", err)
	}
	wantErrIs(t, e.RemoveContainer(ctx, id, true), convergence.ErrNotFound, "RemoveContainer of a missing container")
}

// hasPublishedPort reports whether private port p is published on some host port.
func hasPublishedPort(ports []convergence.ContainerPort, p uint16) bool {
	for _, cp := range ports {
		if cp.PrivatePort == p && cp.PublicPort != 0 && cp.Type == "tcp" && cp.IP == "127.0.0.1" {
			return true
		}
	}
	return false
}

// checkObservedMounts checks the mounts reported by ListContainers.
func checkObservedMounts(t *testing.T, mounts []convergence.ContainerMount, volName, roDir string) {
	t.Helper()
	byDest := make(map[string]convergence.ContainerMount, len(mounts))
	for _, m := range mounts {
		byDest[m.Destination] = m
	}
	if m := byDest["/named"]; m.Type != "volume" || m.Name != volName || m.ReadOnly {
		t.Errorf("mount /named = %+v", m)
	}
	if m := byDest["/anon"]; m.Type != "volume" || m.Name == "" {
		t.Errorf("mount /anon = %+v", m)
	}
	if m := byDest["/ro"]; m.Type != "bind" || m.Source != roDir || !m.ReadOnly {
		t.Errorf("mount /ro = %+v", m)
	}
	if m := byDest["/host"]; m.Type != "bind" {
		t.Errorf("mount /host = %+v", m)
	}
}

// anonymousVolume returns the engine name of the /anon volume.
func anonymousVolume(t *testing.T, mounts []convergence.ContainerMount) string {
	t.Helper()
	for _, m := range mounts {
		if m.Destination == "/anon" {
			return m.Name
		}
	}
	t.Fatal("no /anon mount")
	return ""
}

func TestAnonymousVolumeCarriedOver(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	first, second := uniqueName(t, "1"), uniqueName(t, "2")
	clean.container(first)
	clean.container(second)
	spec := project.ContainerSpec{Image: imageLatest, Mounts: []project.Mount{{Type: project.MountVolume, Target: "/anon"}}}
	id, err := e.CreateContainer(ctx, convergence.CreateSpec{Name: first, Spec: spec})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	mp := inspectContainer(t, e, id).Mounts
	if len(mp) != 1 || mp[0].Name == "" {
		t.Fatalf("mounts = %+v, want one anonymous volume", mp)
	}
	anon := mp[0].Name
	clean.volume(anon)
	if err := e.RemoveContainer(ctx, id, false); err != nil {
		t.Fatalf("RemoveContainer: %v", err)
	}
	spec.Mounts[0].Source = anon
	id, err = e.CreateContainer(ctx, convergence.CreateSpec{Name: second, Spec: spec})
	if err != nil {
		t.Fatalf("CreateContainer reusing %s: %v", anon, err)
	}
	if mp := inspectContainer(t, e, id).Mounts; len(mp) != 1 || mp[0].Name != anon || mp[0].Destination != "/anon" {
		t.Errorf("mounts = %+v, want %s on /anon", mp, anon)
	}
}

func TestContainerConflictsAndNotFound(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	name, other := uniqueName(t, "a"), uniqueName(t, "b")
	clean.container(name)
	clean.container(other)
	spec := convergence.CreateSpec{Name: name, Spec: project.ContainerSpec{Image: imageLatest}}
	if _, err := e.CreateContainer(ctx, spec); err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	_, err := e.CreateContainer(ctx, spec)
	wantErrIs(t, err, convergence.ErrConflict, "CreateContainer of a duplicate name")
	if !strings.Contains(err.Error(), "is already in use") || !strings.Contains(err.Error(), `"`+name+`"`) {
		t.Errorf("duplicate create error %q lacks the engine's message or the quoted name", err)
	}
	spec.Name = other
	otherID, err := e.CreateContainer(ctx, spec)
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	wantErrIs(t, e.RenameContainer(ctx, otherID, name), convergence.ErrConflict, "RenameContainer onto a taken name")

	missing := uniqueName(t, "missing")
	wantErrIs(t, e.RemoveContainer(ctx, missing, false), convergence.ErrNotFound, "RemoveContainer")
	wantErrIs(t, e.StartContainer(ctx, missing), convergence.ErrNotFound, "StartContainer")
	wantErrIs(t, e.StopContainer(ctx, missing, nil), convergence.ErrNotFound, "StopContainer")
	wantErrIs(t, e.RenameContainer(ctx, missing, missing+"-x"), convergence.ErrNotFound, "RenameContainer")
	wantErrIs(t, e.RemoveNetwork(ctx, missing), convergence.ErrNotFound, "RemoveNetwork")
	wantErrIs(t, e.RemoveVolume(ctx, missing), convergence.ErrNotFound, "RemoveVolume")
	wantErrIs(t, e.ConnectNetwork(ctx, otherID, missing, convergence.Endpoint{}), convergence.ErrNotFound, "ConnectNetwork of a missing container")

	// The engine records a connection of a created container to a missing
	// network and fails the start instead; that start failure must not read
	// as "container not found".
	if err := e.ConnectNetwork(ctx, missing, otherID, convergence.Endpoint{}); err != nil {
		t.Fatalf("ConnectNetwork of a created container to a missing network: %v", err)
	}
	err = e.StartContainer(ctx, otherID)
	if err == nil || convergence.IsNotFound(err) || !strings.Contains(err.Error(), missing) {
		t.Errorf("StartContainer with a missing network: got %v, want a plain error naming the network", err)
	}
}

func TestCreateContainerMissingImage(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	name := uniqueName(t, "")
	clean.container(name)
	ref := "mycompose-test/absent:" + runID
	_, err := e.CreateContainer(ctx, convergence.CreateSpec{Name: name, Spec: project.ContainerSpec{Image: ref}})
	want := `create container "` + name + `": image "` + ref + `" is not present on the engine: pull it (mycompose pull) and run again`
	if err == nil || err.Error() != want {
		t.Errorf("CreateContainer with a missing image: got %v, want %q", err, want)
	}
}
