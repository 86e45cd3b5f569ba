package dockerengine

import (
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

func TestMapEntrypoint(t *testing.T) {
	if got := mapEntrypoint(nil); got != nil {
		t.Errorf("nil entrypoint -> %q, want nil (image default)", got)
	}
	if got := mapEntrypoint([]string{}); !slices.Equal(got, []string{""}) {
		t.Errorf("empty entrypoint -> %q, want [\"\"] (reset)", got)
	}
	if got := mapEntrypoint([]string{"sh", "-c"}); !slices.Equal(got, []string{"sh", "-c"}) {
		t.Errorf("entrypoint -> %q", got)
	}
}

func TestNetworkMode(t *testing.T) {
	tests := []struct {
		name    string
		cs      convergence.CreateSpec
		want    string
		wantErr string
	}{
		{"primary network", convergence.CreateSpec{PrimaryNetwork: "p_default"}, "p_default", ""},
		{"engine default", convergence.CreateSpec{}, "", ""},
		{"spec host", convergence.CreateSpec{Spec: project.ContainerSpec{NetworkMode: "host"}}, "host", ""},
		{"spec container", convergence.CreateSpec{Spec: project.ContainerSpec{NetworkMode: "container:abc"}}, "container:abc", ""},
		{"override wins", convergence.CreateSpec{NetworkMode: "container:123", Spec: project.ContainerSpec{NetworkMode: "service:db"}}, "container:123", ""},
		{"unresolved service", convergence.CreateSpec{Spec: project.ContainerSpec{NetworkMode: "service:db"}}, "", "must be resolved"},
		{"mode and primary", convergence.CreateSpec{NetworkMode: "host", PrimaryNetwork: "p_default"}, "", "conflicts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := networkMode(tt.cs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("networkMode error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("networkMode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMapPorts(t *testing.T) {
	exposed, bindings, err := mapPorts([]string{"53/udp", "8080"}, []project.PortBinding{
		{ContainerPort: 80, HostPort: "0"},
		{ContainerPort: 80, HostIP: "::1", HostPort: "8000-8010"},
		{ContainerPort: 5000, Protocol: "udp", HostPort: "5000"},
	})
	if err != nil {
		t.Fatalf("mapPorts: %v", err)
	}
	for _, p := range []nat.Port{"53/udp", "8080/tcp", "80/tcp", "5000/udp"} {
		if _, ok := exposed[p]; !ok {
			t.Errorf("exposed %v lacks %s", exposed, p)
		}
	}
	want := nat.PortMap{
		"80/tcp":   {{HostPort: ""}, {HostIP: "::1", HostPort: "8000-8010"}},
		"5000/udp": {{HostPort: "5000"}},
	}
	if len(bindings) != len(want) {
		t.Fatalf("bindings = %v, want %v", bindings, want)
	}
	for p, b := range want {
		if !slices.Equal(bindings[p], b) {
			t.Errorf("bindings[%s] = %v, want %v", p, bindings[p], b)
		}
	}
	if e, b, err := mapPorts(nil, nil); e != nil || b != nil || err != nil {
		t.Errorf("mapPorts(nil, nil) = %v, %v, %v; want nils", e, b, err)
	}
	if _, _, err := mapPorts([]string{"http/tcp"}, nil); err == nil {
		t.Error("mapPorts accepted a non-numeric port")
	}
}

func TestMapMounts(t *testing.T) {
	binds, mounts := mapMounts([]project.Mount{
		{Type: project.MountBind, Source: "/src", Target: "/a", CreateHostPath: true},
		{Type: project.MountBind, Source: "/src", Target: "/b", CreateHostPath: true, ReadOnly: true, Propagation: "rshared"},
		{Type: project.MountBind, Source: "/src", Target: "/c", Propagation: "rslave"},
		{Type: project.MountVolume, Source: "vol", Target: "/d", NoCopy: true, ReadOnly: true},
		{Type: project.MountVolume, Target: "/e"},
		{Type: project.MountTmpfs, Target: "/f", TmpfsSize: 4096, TmpfsMode: 0o1777},
	})
	if want := []string{"/src:/a", "/src:/b:ro,rshared"}; !slices.Equal(binds, want) {
		t.Errorf("binds = %q, want %q", binds, want)
	}
	want := []mount.Mount{
		{Type: mount.TypeBind, Source: "/src", Target: "/c", BindOptions: &mount.BindOptions{Propagation: "rslave"}},
		{Type: mount.TypeVolume, Source: "vol", Target: "/d", ReadOnly: true, VolumeOptions: &mount.VolumeOptions{NoCopy: true}},
		{Type: mount.TypeVolume, Target: "/e"},
		{Type: mount.TypeTmpfs, Target: "/f", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 4096, Mode: 0o1777}},
	}
	if len(mounts) != len(want) {
		t.Fatalf("mounts = %+v, want %+v", mounts, want)
	}
	for i := range want {
		g, w := mounts[i], want[i]
		if g.Type != w.Type || g.Source != w.Source || g.Target != w.Target || g.ReadOnly != w.ReadOnly ||
			(w.BindOptions == nil) != (g.BindOptions == nil) || (w.BindOptions != nil && *g.BindOptions != *w.BindOptions) ||
			(w.VolumeOptions == nil) != (g.VolumeOptions == nil) || (w.VolumeOptions != nil && g.VolumeOptions.NoCopy != w.VolumeOptions.NoCopy) ||
			(w.TmpfsOptions == nil) != (g.TmpfsOptions == nil) || (w.TmpfsOptions != nil && (g.TmpfsOptions.SizeBytes != w.TmpfsOptions.SizeBytes || g.TmpfsOptions.Mode != w.TmpfsOptions.Mode)) {
			t.Errorf("mounts[%d] = %+v, want %+v", i, g, w)
		}
	}
}

func TestMapCreateSpecPrimaryEndpoint(t *testing.T) {
	req, err := mapCreateSpec(convergence.CreateSpec{
		Spec:            project.ContainerSpec{Image: "img", PidsLimit: 0},
		PrimaryNetwork:  "p_back",
		PrimaryEndpoint: convergence.Endpoint{Aliases: []string{"db"}, IPv4Address: "10.0.0.5"},
	})
	if err != nil {
		t.Fatalf("mapCreateSpec: %v", err)
	}
	ep := req.network.EndpointsConfig["p_back"]
	if ep == nil || !slices.Equal(ep.Aliases, []string{"db"}) || ep.IPAMConfig == nil || ep.IPAMConfig.IPv4Address != "10.0.0.5" {
		t.Errorf("endpoint = %+v", ep)
	}
	if req.host.PidsLimit != nil {
		t.Errorf("PidsLimit = %v, want nil for 0", *req.host.PidsLimit)
	}
	req, err = mapCreateSpec(convergence.CreateSpec{Spec: project.ContainerSpec{Image: "img", NetworkMode: "none"}})
	if err != nil || req.network != nil || req.host.NetworkMode != "none" {
		t.Errorf("network mode none: %+v, %v", req, err)
	}
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		status string
		health string
		code   int
	}{
		{"Up 3 seconds (healthy)", "healthy", 0},
		{"Up 1 second (health: starting)", "starting", 0},
		{"Up 2 minutes (unhealthy)", "unhealthy", 0},
		{"Exited (3) 2 seconds ago", "", 3},
		{"Exited (137) About a minute ago", "", 137},
		{"Created", "", 0},
	} {
		h, c := parseStatus(tc.status)
		if h != tc.health || c != tc.code {
			t.Errorf("parseStatus(%q) = %q, %d; want %q, %d", tc.status, h, c, tc.health, tc.code)
		}
	}
}

// TestMapCreateSpecAPIGated: the keys of newer APIs reach the create body
// (the planner and CheckAPI decide whether they may be sent).
func TestMapCreateSpecAPIGated(t *testing.T) {
	cs := convergence.CreateSpec{
		Name: "p-web-1",
		Spec: project.ContainerSpec{
			Image:       "img",
			Healthcheck: &project.Healthcheck{Test: []string{"CMD", "true"}, StartInterval: 2e9},
			Mounts: []project.Mount{
				{Type: project.MountVolume, Source: "p_data", Target: "/data", Subpath: "sub"},
				{Type: project.MountImage, Source: "busybox", Target: "/img", Subpath: "bin"},
			},
		},
		PrimaryNetwork:  "p_front",
		PrimaryEndpoint: convergence.Endpoint{Aliases: []string{"web"}},
		Networks:        []convergence.NetworkEndpoint{{Network: "p_back", Endpoint: convergence.Endpoint{Aliases: []string{"web"}, MacAddress: "02:42:ac:11:65:43"}}},
	}
	req, err := mapCreateSpec(cs)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.config.Healthcheck.StartInterval; got.Seconds() != 2 {
		t.Errorf("start interval %v", got)
	}
	eps := req.network.EndpointsConfig
	if len(eps) != 2 || eps["p_front"] == nil || eps["p_back"] == nil || eps["p_back"].MacAddress != "02:42:ac:11:65:43" || eps["p_front"].MacAddress != "" {
		t.Errorf("endpoints %+v", eps)
	}
	if string(req.host.NetworkMode) != "p_front" {
		t.Errorf("network mode %q", req.host.NetworkMode)
	}
	m := req.host.Mounts
	if len(m) != 2 || m[0].VolumeOptions == nil || m[0].VolumeOptions.Subpath != "sub" ||
		m[1].Type != mount.TypeImage || m[1].Source != "busybox" || m[1].ImageOptions == nil || m[1].ImageOptions.Subpath != "bin" {
		t.Errorf("mounts %+v", m)
	}
}
