package loader

import (
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/mycompose/mycompose/project"
)

// loadFull loads testdata/projects/full, whose compose.yaml uses every key
// mycompose maps.
func loadFull(t *testing.T) (*project.Project, string) {
	t.Helper()
	dir := fixture(t, "full")
	p, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{"PASSTHROUGH=yes"}})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p, dir
}

func intPtr(i int) *int    { return &i }
func boolPtr(b bool) *bool { return &b }

func TestFullProject(t *testing.T) {
	p, dir := loadFull(t)
	if p.Name != "full" || p.WorkingDir != dir {
		t.Errorf("name %q dir %q", p.Name, p.WorkingDir)
	}
	if want := []string{filepath.Join(dir, "compose.yaml")}; !reflect.DeepEqual(p.ConfigFiles, want) {
		t.Errorf("config files %v, want %v", p.ConfigFiles, want)
	}
	if p.EnvFiles != nil {
		t.Errorf("env files %v, want none without --env-file", p.EnvFiles)
	}
	if got := p.ServiceNames(); !reflect.DeepEqual(got, []string{"db", "web", "worker"}) {
		t.Errorf("services %v", got)
	}
	if !reflect.DeepEqual(p.DisabledServices, []string{"cache"}) {
		t.Errorf("disabled %v", p.DisabledServices)
	}
	wantWarn := []string{`service "web": optional dependency "cache" is not enabled (disabled by profiles or undefined); ignoring it`}
	if !reflect.DeepEqual(p.Warnings, wantWarn) {
		t.Errorf("warnings %q", p.Warnings)
	}
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, s := range p.Services {
		if !hexRE.MatchString(s.ConfigHash) {
			t.Errorf("service %s hash %q", s.Name, s.ConfigHash)
		}
	}
}

func TestFullWebContainer(t *testing.T) {
	p, dir := loadFull(t)
	web := mustService(t, p, "web")
	if web.Replicas != 2 || web.PullPolicy != "always" || web.ContainerName != "" {
		t.Errorf("replicas %d pull %q name %q", web.Replicas, web.PullPolicy, web.ContainerName)
	}
	wantDeps := []project.Dependency{{Service: "db", Condition: project.ConditionHealthy, Restart: true, Required: true}}
	if !reflect.DeepEqual(web.DependsOn, wantDeps) {
		t.Errorf("depends_on %+v", web.DependsOn)
	}
	want := project.ContainerSpec{
		Image:      "nginx:1.25",
		Cmd:        []string{"nginx", "-g", "daemon off;"},
		Entrypoint: []string{"/docker-entrypoint.sh"},
		// PLAIN from environment wins over web.env; UNSET_VAR is dropped.
		Env:         []string{"GREETING=hello", "PASSTHROUGH=yes", "PLAIN=value", "WEB_ONLY=1"},
		Labels:      map[string]string{"com.example.team": "web", "com.example.from-file": "yes"},
		WorkingDir:  "/srv",
		User:        "1000:1000",
		Hostname:    "web-host",
		Domainname:  "example.com",
		Tty:         true,
		OpenStdin:   true,
		StopSignal:  "SIGQUIT",
		StopTimeout: intPtr(90),
		Healthcheck: &project.Healthcheck{
			Test:     []string{"CMD", "curl", "-f", "http://localhost"},
			Interval: 30e9, Timeout: 5e9, StartPeriod: 10e9, Retries: 3,
		},
		ExposedPorts: []string{"443/tcp", "53/udp", "80/tcp", "9000/tcp", "9090/tcp", "9100/udp", "9101/udp"},
		Ports: []project.PortBinding{
			{ContainerPort: 80, Protocol: "tcp", HostPort: "8080"},
			{ContainerPort: 443, Protocol: "tcp", HostIP: "127.0.0.1", HostPort: "8443"},
			{ContainerPort: 9090, Protocol: "tcp"},
			{ContainerPort: 53, Protocol: "udp", HostIP: "0.0.0.0", HostPort: "5300-5310"},
		},
		Mounts: []project.Mount{
			{Type: "bind", Source: filepath.Join(dir, "html"), Target: "/usr/share/nginx/html", ReadOnly: true, CreateHostPath: true},
			// compose-go v2.14+ defaults create_host_path to true in a
			// long-syntax bind block, as Docker Compose v5 does.
			{Type: "bind", Source: filepath.Join(dir, "conf"), Target: "/etc/nginx/conf.d", Propagation: "rslave", CreateHostPath: true},
			{Type: "volume", Source: "full_data", Target: "/var/lib/data"},
			{Type: "volume", Source: "explicit-cache", Target: "/cache", NoCopy: true},
			{Type: "volume", Target: "/anonymous"},
			{Type: "tmpfs", Target: "/scratch", TmpfsSize: 10 << 20, TmpfsMode: 0o1777},
			{Type: "tmpfs", Target: "/run", TmpfsSize: 64 << 20, TmpfsMode: 0o1777},
			{Type: "tmpfs", Target: "/tmp"},
		},
		Restart:     project.RestartPolicy{Name: "on-failure", MaxRetries: 3},
		Init:        boolPtr(true),
		CapAdd:      []string{"NET_ADMIN"},
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges:true"},
		ExtraHosts:  []string{"otherhost:50.31.209.229", "somehost:162.242.195.82"},
		DNS:         []string{"8.8.8.8"},
		DNSSearch:   []string{"example.com"},
		DNSOptions:  []string{"use-vc"},
		Ulimits: []project.Ulimit{
			{Name: "nofile", Soft: 20000, Hard: 40000},
			{Name: "nproc", Soft: 65535, Hard: 65535},
		},
		Sysctls:           map[string]string{"net.core.somaxconn": "1024"},
		LogDriver:         "json-file",
		LogOptions:        map[string]string{"max-size": "10m"},
		ReadOnly:          true,
		ShmSize:           64 << 20,
		PidMode:           "host",
		IpcMode:           "shareable",
		Devices:           []project.Device{{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"}},
		GroupAdd:          []string{"audio"},
		Memory:            512 << 20,
		MemoryReservation: 128 << 20,
		NanoCPUs:          5e8,
		PidsLimit:         100,
	}
	assertSpec(t, web.Container, want)
	wantNets := []project.NetworkAttachment{
		{Key: "front", Name: "full_front", Aliases: []string{"public", "www"}, IPv4Address: "172.28.0.10", Priority: 10},
		{Key: "back", Name: "full_back"},
	}
	if !reflect.DeepEqual(web.Networks, wantNets) {
		t.Errorf("networks %+v", web.Networks)
	}
}

// assertSpec compares field by field so a failure names the field.
func assertSpec(t *testing.T, got, want project.ContainerSpec) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < gv.NumField(); i++ {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("%s: got %#v, want %#v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

func TestFullDBAndWorker(t *testing.T) {
	p, _ := loadFull(t)
	db := mustService(t, p, "db")
	if db.ContainerName != "full-db" || !db.Container.Privileged || db.Container.LogDriver != "syslog" {
		t.Errorf("db %+v", db)
	}
	if db.Container.Restart.Name != "unless-stopped" {
		t.Errorf("db restart %+v", db.Container.Restart)
	}
	if hc := db.Container.Healthcheck; hc == nil || !reflect.DeepEqual(hc.Test, []string{"CMD-SHELL", "pg_isready"}) {
		t.Errorf("db healthcheck %+v", hc)
	}
	if want := []project.NetworkAttachment{{Key: "back", Name: "full_back"}, {Key: "ext", Name: "shared-net"}}; !reflect.DeepEqual(db.Networks, want) {
		t.Errorf("db networks %+v", db.Networks)
	}

	w := mustService(t, p, "worker")
	c := w.Container
	if w.Replicas != 3 || c.NetworkMode != "service:web" || w.Networks != nil {
		t.Errorf("worker replicas %d mode %q networks %v", w.Replicas, c.NetworkMode, w.Networks)
	}
	if c.Cmd == nil || len(c.Cmd) != 0 || c.Entrypoint != nil {
		t.Errorf("command [] must stay empty non-nil, entrypoint nil: %#v %#v", c.Cmd, c.Entrypoint)
	}
	if c.Healthcheck == nil || !reflect.DeepEqual(c.Healthcheck.Test, []string{"NONE"}) {
		t.Errorf("disabled healthcheck %+v", c.Healthcheck)
	}
	if c.Memory != 256<<20 || c.MemoryReservation != 64<<20 || c.NanoCPUs != 15e8 || c.PidsLimit != 50 {
		t.Errorf("deploy resources %d %d %d %d", c.Memory, c.MemoryReservation, c.NanoCPUs, c.PidsLimit)
	}
	if !reflect.DeepEqual(c.VolumesFrom, []string{"db:ro", "container:legacy"}) {
		t.Errorf("volumes_from %v", c.VolumesFrom)
	}
	// volumes_from and network_mode add implicit dependencies.
	wantDeps := []project.Dependency{
		{Service: "db", Condition: project.ConditionStarted, Required: true},
		{Service: "web", Condition: project.ConditionStarted, Restart: true, Required: true},
	}
	if !reflect.DeepEqual(w.DependsOn, wantDeps) {
		t.Errorf("worker depends_on %+v", w.DependsOn)
	}
}

func TestFullNetworksAndVolumes(t *testing.T) {
	p, _ := loadFull(t)
	var keys []string
	for _, n := range p.Networks {
		keys = append(keys, n.Key)
	}
	// `unused` is declared but no service joins it.
	if !reflect.DeepEqual(keys, []string{"back", "ext", "front"}) {
		t.Fatalf("networks %v", keys)
	}
	front, _ := p.Network("front")
	wantFront := project.Network{
		Key: "front", Name: "full_front", Driver: "bridge",
		DriverOpts: map[string]string{"com.docker.network.bridge.name": "br-front"},
		Labels:     map[string]string{"com.example.net": "front"},
		EnableIPv6: true,
		IPAM: project.IPAM{Driver: "default", Configs: []project.IPAMConfig{{
			Subnet: "172.28.0.0/16", Gateway: "172.28.0.1", IPRange: "172.28.5.0/24",
			AuxAddress: map[string]string{"host1": "172.28.1.5"},
		}}},
		ConfigHash: front.ConfigHash,
	}
	if !reflect.DeepEqual(*front, wantFront) || len(front.ConfigHash) != 64 {
		t.Errorf("front %+v", *front)
	}
	back, _ := p.Network("back")
	ext, _ := p.Network("ext")
	if !back.Internal || !back.Attachable || !ext.External || ext.Name != "shared-net" {
		t.Errorf("back %+v ext %+v", back, ext)
	}
	want := []project.Volume{
		{Key: "cache", Name: "explicit-cache"},
		{Key: "data", Name: "full_data", Driver: "local",
			DriverOpts: map[string]string{"type": "none", "o": "bind", "device": "/tmp"},
			Labels:     map[string]string{"com.example.vol": "data"}},
		{Key: "legacy", Name: "legacy", External: true},
	}
	for i := range p.Volumes {
		if len(p.Volumes[i].ConfigHash) != 64 {
			t.Errorf("volume %s hash %q", p.Volumes[i].Key, p.Volumes[i].ConfigHash)
		}
		p.Volumes[i].ConfigHash = ""
	}
	if !reflect.DeepEqual(p.Volumes, want) {
		t.Errorf("volumes %+v", p.Volumes)
	}
}
