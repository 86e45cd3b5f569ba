package enginetest

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// Cases is the contract, one behaviour each. The executor and the planner
// rely on every one of them.
var Cases = []Case{
	{"create twice is a conflict", func(t *testing.T, s *Session) {
		spec := s.Spec(s.Name("web-1"), "web", 1)
		s.MustCreate(spec)
		_, err := s.Create(spec)
		WantIs(t, "second create", err, convergence.ErrConflict)
	}},
	{"create with a missing image", func(t *testing.T, s *Session) {
		spec := s.Spec(s.Name("web-1"), "web", 1)
		spec.Spec.Image = "mycompose-test/absent-" + s.Project() + ":1"
		_, err := s.Create(spec)
		WantIs(t, "create", err, convergence.ErrImageNotFound)
		if errors.Is(err, convergence.ErrNotFound) {
			t.Errorf("a missing image reads as a missing container: %v", err)
		}
	}},
	{"create on a missing network", func(t *testing.T, s *Session) {
		// The engine creates it; the start fails, and not with ErrNotFound
		// (the container exists).
		spec := s.Spec(s.Name("web-1"), "web", 1)
		spec.PrimaryNetwork = s.Name("absent")
		id := s.MustCreate(spec)
		err := s.Engine().StartContainer(s.Ctx(), id)
		if err == nil || errors.Is(err, convergence.ErrNotFound) {
			t.Fatalf("start on a missing network: %v, want an error that is not ErrNotFound", err)
		}
	}},
	{"missing container", func(t *testing.T, s *Session) {
		const id = "0000000000000000000000000000000000000000000000000000000000000000"
		e, ctx := s.Engine(), s.Ctx()
		_, err := e.InspectContainer(ctx, s.Name("absent"))
		WantIs(t, "inspect", err, convergence.ErrNotFound)
		WantIs(t, "remove", e.RemoveContainer(ctx, id, false), convergence.ErrNotFound)
		WantIs(t, "start", e.StartContainer(ctx, id), convergence.ErrNotFound)
		WantIs(t, "stop", e.StopContainer(ctx, id, nil), convergence.ErrNotFound)
		WantIs(t, "rename", e.RenameContainer(ctx, id, s.Name("x")), convergence.ErrNotFound)
	}},
	{"list after remove", func(t *testing.T, s *Session) {
		a := s.MustCreate(s.Spec(s.Name("web-1"), "web", 1))
		s.MustCreate(s.Spec(s.Name("web-2"), "web", 2))
		WantNil(t, "remove", s.Engine().RemoveContainer(s.Ctx(), a, false))
		cs, err := s.Engine().ListContainers(s.Ctx(), s.Project())
		WantNil(t, "list", err)
		if got, want := names(cs), []string{s.Name("web-2")}; !slices.Equal(got, want) {
			t.Fatalf("list after remove = %v, want %v", got, want)
		}
		if cs[0].State != "created" {
			t.Errorf("state = %q, want created", cs[0].State)
		}
		if cs[0].Labels[project.LabelConfigHash] != "hash-web" {
			t.Errorf("labels = %v, want the config hash kept", cs[0].Labels)
		}
	}},
	{"list decodes labels", func(t *testing.T, s *Session) {
		s.MustCreate(s.Spec(s.Name("web-3"), "web", 3))
		one := s.Spec(s.Name("web-run-1"), "web", 0)
		project.OneOffLabels(one.Spec.Labels, "0123456789ab")
		s.MustCreate(one)
		cs, err := s.Engine().ListContainers(s.Ctx(), s.Project())
		WantNil(t, "list", err)
		if len(cs) != 2 {
			t.Fatalf("list = %v, want 2 containers", names(cs))
		}
		for _, c := range cs {
			want := project.Replica{Project: s.Project(), Service: "web", ConfigHash: "hash-web", Number: 3}
			if c.Name == s.Name("web-run-1") {
				want.Number, want.OneOff = 0, true
			}
			if c.Project != want.Project || c.Service != want.Service || c.Number != want.Number ||
				c.OneOff != want.OneOff || c.ConfigHash != want.ConfigHash {
				t.Errorf("%s decoded as project %q service %q number %d one-off %v hash %q, want %q %q %d %v %q",
					c.Name, c.Project, c.Service, c.Number, c.OneOff, c.ConfigHash,
					want.Project, want.Service, want.Number, want.OneOff, want.ConfigHash)
			}
		}
	}},
	{"start, stop and their repeats", func(t *testing.T, s *Session) {
		e, ctx := s.Engine(), s.Ctx()
		id := s.MustCreate(s.Spec(s.Name("web-1"), "web", 1))
		WantNil(t, "stop a created container", e.StopContainer(ctx, id, nil))
		s.MustStart(id)
		WantNil(t, "start a running container", e.StartContainer(ctx, id))
		if c, err := e.InspectContainer(ctx, id); err != nil || c.State != "running" {
			t.Fatalf("after start: state %q, error %v; want running", c.State, err)
		}
		timeout := zero()
		WantNil(t, "stop", e.StopContainer(ctx, id, timeout))
		WantNil(t, "stop a stopped container", e.StopContainer(ctx, id, timeout))
		if c, err := e.InspectContainer(ctx, id); err != nil || c.State != "exited" {
			t.Fatalf("after stop: state %q, error %v; want exited", c.State, err)
		}
		all, err := e.ListAllContainers(ctx, false)
		WantNil(t, "list running", err)
		for _, c := range all {
			if c.ID == id {
				t.Errorf("a stopped container is listed among the running ones")
			}
		}
	}},
	{"rename", func(t *testing.T, s *Session) {
		e, ctx := s.Engine(), s.Ctx()
		a := s.MustCreate(s.Spec(s.Name("tmp"), "web", 1))
		s.MustCreate(s.Spec(s.Name("web-2"), "web", 2))
		WantIs(t, "rename onto a taken name", e.RenameContainer(ctx, a, s.Name("web-2")), convergence.ErrConflict)
		WantNil(t, "rename", e.RenameContainer(ctx, a, s.Name("web-1")))
		c, err := e.InspectContainer(ctx, s.Name("web-1"))
		if err != nil || c.ID != a {
			t.Fatalf("inspect by the new name: %v, ID %q, want %q", err, c.ID, a)
		}
		_, err = e.InspectContainer(ctx, s.Name("tmp"))
		WantIs(t, "inspect by the old name", err, convergence.ErrNotFound)
	}},
	{"network lifecycle", func(t *testing.T, s *Session) {
		e, ctx := s.Engine(), s.Ctx()
		name := s.Name("net")
		id := s.MustNetwork(name)
		_, err := s.Network(name)
		WantIs(t, "create twice", err, convergence.ErrConflict)
		n, err := e.InspectNetwork(ctx, name)
		if err != nil || n.ID != id {
			t.Fatalf("inspect: %v, ID %q, want %q", err, n.ID, id)
		}
		nets, err := e.ListNetworks(ctx, s.Project())
		WantNil(t, "list", err)
		if len(nets) != 1 || nets[0].Name != name {
			t.Fatalf("list = %v, want just %s", nets, name)
		}
		if len(nets[0].Containers) != 0 {
			t.Errorf("list reports attached containers %v: the engine's list does not", nets[0].Containers)
		}
		WantNil(t, "remove", e.RemoveNetwork(ctx, id))
		WantIs(t, "remove again", e.RemoveNetwork(ctx, id), convergence.ErrNotFound)
		_, err = e.InspectNetwork(ctx, name)
		WantIs(t, "inspect removed", err, convergence.ErrNotFound)
	}},
	{"network remove while attached", func(t *testing.T, s *Session) {
		e, ctx := s.Engine(), s.Ctx()
		name := s.Name("net")
		netID := s.MustNetwork(name)
		spec := s.Spec(s.Name("web-1"), "web", 1)
		spec.PrimaryNetwork = name
		id := s.MustCreate(spec)
		s.MustStart(id)
		WantIs(t, "remove while a running container is attached", e.RemoveNetwork(ctx, netID), convergence.ErrNetworkInUse)
		n, err := e.InspectNetwork(ctx, netID)
		if err != nil || !slices.Contains(n.Containers, id) {
			t.Fatalf("inspect: %v, attached %v, want %s among them", err, n.Containers, id)
		}
		WantNil(t, "remove the container", e.RemoveContainer(ctx, id, false))
		WantNil(t, "remove the network once free", e.RemoveNetwork(ctx, netID))
	}},
	{"connect twice", func(t *testing.T, s *Session) {
		e, ctx := s.Engine(), s.Ctx()
		a, b := s.Name("front"), s.Name("back")
		s.MustNetwork(a)
		s.MustNetwork(b)
		spec := s.Spec(s.Name("web-1"), "web", 1)
		spec.PrimaryNetwork = a
		id := s.MustCreate(spec)
		WantNil(t, "connect", e.ConnectNetwork(ctx, b, id, convergence.Endpoint{Aliases: []string{"web"}}))
		// A created container's endpoints exist in its configuration only:
		// the engine takes the same connect again without complaint.
		WantNil(t, "connect a created container again", e.ConnectNetwork(ctx, b, id, convergence.Endpoint{}))
		s.MustStart(id)
		c, err := e.InspectContainer(ctx, id)
		WantNil(t, "inspect", err)
		for _, n := range []string{a, b} {
			if _, ok := c.Networks[n]; !ok {
				t.Errorf("networks %v: %s missing", c.Networks, n)
			}
		}
		WantIs(t, "connect a running container again", e.ConnectNetwork(ctx, b, id, convergence.Endpoint{}), convergence.ErrConflict)
		WantNil(t, "disconnect", e.DisconnectNetwork(ctx, b, id))
		c, err = e.InspectContainer(ctx, id)
		WantNil(t, "inspect", err)
		if _, ok := c.Networks[b]; ok {
			t.Errorf("still on %s after disconnect", b)
		}
	}},
	{"network gone before start", func(t *testing.T, s *Session) {
		e, ctx := s.Engine(), s.Ctx()
		name := s.Name("net")
		netID := s.MustNetwork(name)
		id := s.MustCreate(s.Spec(s.Name("web-1"), "web", 1))
		// The engine takes a created container's connect without checking
		// the network: a missing one fails the start, and that failure is
		// not ErrNotFound (the container exists).
		WantNil(t, "connect", e.ConnectNetwork(ctx, name, id, convergence.Endpoint{}))
		WantNil(t, "remove the network of a created container", e.RemoveNetwork(ctx, netID))
		WantNil(t, "connect to a missing network", e.ConnectNetwork(ctx, s.Name("absent"), id, convergence.Endpoint{}))
		err := e.StartContainer(ctx, id)
		if err == nil || errors.Is(err, convergence.ErrNotFound) {
			t.Fatalf("start with a missing network: %v, want an error that is not ErrNotFound", err)
		}
		nets, err := e.ListNetworks(ctx, s.Project())
		WantNil(t, "list networks", err)
		if len(nets) != 0 {
			t.Errorf("list networks = %v, want none", nets)
		}
	}},
	{"start with a taken port", func(t *testing.T, s *Session) {
		port := freePort(t)
		publish := func(name string, n int) string {
			spec := s.Spec(s.Name(name), "web", n)
			spec.Spec.Ports = []project.PortBinding{{ContainerPort: 80, Protocol: "tcp", HostIP: "127.0.0.1", HostPort: strconv.Itoa(port)}}
			return s.MustCreate(spec)
		}
		first, second := publish("web-1", 1), publish("web-2", 2)
		s.MustStart(first)
		err := s.Engine().StartContainer(s.Ctx(), second)
		WantIs(t, "start on a taken port", err, convergence.ErrPortAllocated)
		var pa *convergence.PortAllocatedError
		if !errors.As(err, &pa) || pa.HostPort != strconv.Itoa(port) {
			t.Fatalf("error %v names port %v, want %d", err, pa, port)
		}
		cs, err := s.Engine().ListAllContainers(s.Ctx(), false)
		WantNil(t, "list running", err)
		var holder *convergence.Container
		for i := range cs {
			if cs[i].ID == first {
				holder = &cs[i]
			}
		}
		if holder == nil || len(holder.Ports) == 0 || int(holder.Ports[0].PublicPort) != port {
			t.Fatalf("the holder is not listed with its port %d: %+v", port, holder)
		}
	}},
	{"volume lifecycle", func(t *testing.T, s *Session) {
		e, ctx := s.Engine(), s.Ctx()
		name := s.Name("data")
		labels := map[string]string{project.LabelProject: s.Project(), project.LabelVolume: "data"}
		WantNil(t, "create", s.Volume(name, labels))
		WantNil(t, "create the same again", s.Volume(name, labels))
		WantIs(t, "create with other labels", s.Volume(name, map[string]string{"other": "x"}), convergence.ErrConflict)
		vs, err := e.ListVolumes(ctx, s.Project())
		WantNil(t, "list", err)
		if len(vs) != 1 || vs[0].Name != name {
			t.Fatalf("list = %v, want just %s", vs, name)
		}
		spec := s.Spec(s.Name("web-1"), "web", 1)
		spec.Spec.Mounts = []project.Mount{{Type: project.MountVolume, Source: name, Target: "/data"}}
		id := s.MustCreate(spec)
		WantIs(t, "remove while a container uses it", e.RemoveVolume(ctx, name), convergence.ErrVolumeInUse)
		WantNil(t, "remove the container", e.RemoveContainer(ctx, id, false))
		WantNil(t, "remove", e.RemoveVolume(ctx, name))
		WantIs(t, "remove again", e.RemoveVolume(ctx, name), convergence.ErrNotFound)
		_, err = e.InspectVolume(ctx, name)
		WantIs(t, "inspect removed", err, convergence.ErrNotFound)
	}},
	{"image ids", func(t *testing.T, s *Session) {
		absent := "mycompose-test/absent-" + s.Project() + ":1"
		ids, err := s.Engine().ImageIDs(s.Ctx(), []string{s.image, absent})
		WantNil(t, "image ids", err)
		if ids[s.image] == "" {
			t.Errorf("present image %s not resolved: %v", s.image, ids)
		}
		if _, ok := ids[absent]; ok {
			t.Errorf("absent image resolved: %v", ids)
		}
		WantIs(t, "remove a missing image", s.Engine().RemoveImage(s.Ctx(), absent), convergence.ErrNotFound)
	}},
}
