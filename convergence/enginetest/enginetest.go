// Package enginetest is the contract of the engine seam: one table of
// behaviours (create twice, remove what is missing, list after a remove,
// rename onto a taken name, remove a network in use, start on a taken
// port, ...) that every convergence.Engine must show. It runs against the
// fake engine in its unit tests and against the real engine in the
// adapter's tests, so that the fake cannot drift from what the executor
// meets in production: where they differ, one of the two runs fails.
package enginetest

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mycompose/mycompose/convergence"
	"github.com/mycompose/mycompose/project"
)

// Target is an engine under test.
type Target struct {
	Engine convergence.Engine
	// Image is a local image that has sh and sleep (busybox).
	Image string
	// Prefix makes this run's object names unique on a shared engine
	// (lowercase letters, digits and dashes).
	Prefix string
}

// Case is one behaviour of the contract.
type Case struct {
	Name string
	Run  func(t *testing.T, s *Session)
}

// Run runs every case of the contract against the targets newTarget makes,
// one per case, each as a subtest that removes what it created.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	for _, c := range Cases {
		t.Run(c.Name, func(t *testing.T) {
			tg := newTarget(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			t.Cleanup(cancel)
			s := &Session{t: t, ctx: ctx, e: tg.Engine, image: tg.Image, project: tg.Prefix + "-" + slug(c.Name)}
			t.Cleanup(s.cleanup)
			c.Run(t, s)
		})
	}
}

// Session is one case's view of the engine: helpers that create objects in
// the case's own project and remove them at the end, whatever happened.
type Session struct {
	t          *testing.T
	ctx        context.Context
	e          convergence.Engine
	image      string
	project    string
	containers []string
	networks   []string
	volumes    []string
}

// Ctx is the case's context.
func (s *Session) Ctx() context.Context { return s.ctx }

// Engine is the engine under test.
func (s *Session) Engine() convergence.Engine { return s.e }

// Project is the case's project name.
func (s *Session) Project() string { return s.project }

// Name returns a unique object name of the case.
func (s *Session) Name(suffix string) string { return s.project + "-" + suffix }

// Labels returns the labels of a replica of the case's project.
func (s *Session) Labels(service string, number int) map[string]string {
	return map[string]string{
		project.LabelProject: s.project, project.LabelService: service,
		project.LabelNumber: strconv.Itoa(number), project.LabelConfigHash: "hash-" + service,
		project.LabelOneOff: project.OneOffFalse,
	}
}

// Spec returns the create spec of a container of the case's project whose
// main process runs until stopped and stops at once on SIGTERM.
func (s *Session) Spec(name, service string, number int) convergence.CreateSpec {
	return convergence.CreateSpec{Name: name, Spec: project.ContainerSpec{
		Image:  s.image,
		Cmd:    []string{"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"},
		Labels: s.Labels(service, number),
	}}
}

// Create creates a container and registers its removal.
func (s *Session) Create(spec convergence.CreateSpec) (string, error) {
	id, err := s.e.CreateContainer(s.ctx, spec)
	if err == nil {
		s.containers = append(s.containers, id)
	}
	return id, err
}

// MustCreate is Create failing the case on an error.
func (s *Session) MustCreate(spec convergence.CreateSpec) string {
	s.t.Helper()
	id, err := s.Create(spec)
	if err != nil {
		s.t.Fatalf("create container %q: %v", spec.Name, err)
	}
	return id
}

// MustStart starts a container or fails the case.
func (s *Session) MustStart(id string) {
	s.t.Helper()
	if err := s.e.StartContainer(s.ctx, id); err != nil {
		s.t.Fatalf("start container: %v", err)
	}
}

// Network creates a network of the case's project and registers its removal.
func (s *Session) Network(name string) (string, error) {
	id, err := s.e.CreateNetwork(s.ctx, convergence.NetworkSpec{Name: name, Driver: "bridge",
		Labels: map[string]string{project.LabelProject: s.project}})
	if err == nil {
		s.networks = append(s.networks, id)
	}
	return id, err
}

// MustNetwork is Network failing the case on an error.
func (s *Session) MustNetwork(name string) string {
	s.t.Helper()
	id, err := s.Network(name)
	if err != nil {
		s.t.Fatalf("create network %q: %v", name, err)
	}
	return id
}

// Volume creates a volume and registers its removal.
func (s *Session) Volume(name string, labels map[string]string) error {
	err := s.e.CreateVolume(s.ctx, convergence.VolumeSpec{Name: name, Labels: labels})
	if err == nil {
		s.volumes = append(s.volumes, name)
	}
	return err
}

// cleanup removes what the case created: containers, then networks, then
// volumes, each gone already or not.
func (s *Session) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	check := func(what string, err error) {
		if err != nil && !errors.Is(err, convergence.ErrNotFound) {
			s.t.Errorf("cleanup: remove %s: %v", what, err)
		}
	}
	for _, id := range s.containers {
		check("container", s.e.RemoveContainer(ctx, id, true))
	}
	for _, id := range s.networks {
		check("network", s.e.RemoveNetwork(ctx, id))
	}
	for _, n := range s.volumes {
		check("volume", s.e.RemoveVolume(ctx, n))
	}
}

// WantIs fails the case unless err wraps target.
func WantIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one wrapping %q", what, err, target)
	}
}

// WantNil fails the case on an error.
func WantNil(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// freePort returns a host port that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func slug(name string) string {
	out := make([]byte, 0, len(name))
	for _, r := range []byte(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = append(out, r)
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		default:
			if len(out) > 0 && out[len(out)-1] != '-' {
				out = append(out, '-')
			}
		}
	}
	return string(out)
}

// names returns the names of containers, sorted.
func names(cs []convergence.Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	slices.Sort(out)
	return out
}

// zero is a stop timeout of zero seconds.
func zero() *time.Duration {
	d := time.Duration(0)
	return &d
}
