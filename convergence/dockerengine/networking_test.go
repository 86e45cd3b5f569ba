package dockerengine

import (
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

func TestConnectNetwork(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	front, back, name := uniqueName(t, "front"), uniqueName(t, "back"), uniqueName(t, "app")
	clean.container(name)
	clean.network(front)
	clean.network(back)
	subnet := randomSubnet()
	if _, err := e.CreateNetwork(ctx, convergence.NetworkSpec{Name: front}); err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}
	backID, err := e.CreateNetwork(ctx, convergence.NetworkSpec{Name: back,
		IPAM: project.IPAM{Configs: []project.IPAMConfig{{Subnet: subnet + ".0/24"}}}})
	if err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}
	id, err := e.CreateContainer(ctx, convergence.CreateSpec{Name: name, Spec: project.ContainerSpec{Image: imageLatest}, PrimaryNetwork: front})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	ip := subnet + ".42"
	if err := e.ConnectNetwork(ctx, back, id, convergence.Endpoint{Aliases: []string{"db-alias"}, IPv4Address: ip}); err != nil {
		t.Fatalf("ConnectNetwork: %v", err)
	}
	if err := e.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	ep := inspectContainer(t, e, id).NetworkSettings.Networks[back]
	if ep == nil || ep.NetworkID != backID || !slices.Contains(ep.Aliases, "db-alias") || ep.IPAddress != ip {
		t.Errorf("endpoint on %s = %+v, want alias db-alias and address %s", back, ep, ip)
	}
	n, err := e.InspectNetwork(ctx, back)
	if err != nil || !slices.Contains(n.Containers, id) {
		t.Errorf("InspectNetwork(%s) = %+v, %v; want container %s attached", back, n, err, id)
	}
}

func TestStartPortAllocated(t *testing.T) {
	e, ctx := newEngine(t), testCtx(t)
	clean := newCleaner(t, e)
	first, second := uniqueName(t, "1"), uniqueName(t, "2")
	clean.container(first)
	clean.container(second)
	spec := project.ContainerSpec{Image: imageLatest, Ports: []project.PortBinding{{ContainerPort: 80, HostIP: "127.0.0.1", HostPort: "0"}}}
	id, err := e.CreateContainer(ctx, convergence.CreateSpec{Name: first, Spec: spec})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := e.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	bound := inspectContainer(t, e, id).NetworkSettings.Ports[nat.Port("80/tcp")]
	if len(bound) == 0 || bound[0].HostPort == "" {
		t.Fatalf("no host port assigned: %v", bound)
	}
	spec.Ports[0].HostPort = bound[0].HostPort
	id2, err := e.CreateContainer(ctx, convergence.CreateSpec{Name: second, Spec: spec})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	wantErrIs(t, e.StartContainer(ctx, id2), convergence.ErrPortAllocated, "StartContainer on a taken port")

	timeout := time.Duration(0)
	if err := e.StopContainer(ctx, id, &timeout); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	if st := inspectContainer(t, e, id).State; st.Status != container.StateExited {
		t.Errorf("state after StopContainer(0) = %s, want exited", st.Status)
	}
}
