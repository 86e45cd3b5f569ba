package project

import (
	"strings"
	"testing"
)

func TestValidateProjectName(t *testing.T) {
	for name, ok := range map[string]bool{
		"web": true, "my-app_1": true, "1abc": true,
		"": false, "-x": false, "_x": false, "Web": false, "my app": false, "a.b": false,
	} {
		if err := ValidateProjectName(name); (err == nil) != ok {
			t.Errorf("ValidateProjectName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestNormalizeProjectName(t *testing.T) {
	for in, want := range map[string]string{"My_App.1": "my_app1", "--x": "x", "Hello World": "helloworld"} {
		if got := NormalizeProjectName(in); got != want {
			t.Errorf("NormalizeProjectName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLevels(t *testing.T) {
	levels, err := Levels(map[string][]string{"web": {"api", "db"}, "api": {"db"}, "db": nil, "cache": {"gone"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(flatten(levels), "|"); got != "cache,db|api|web" {
		t.Errorf("levels = %s", got)
	}
	_, err = Levels(map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}})
	if err == nil || !strings.Contains(err.Error(), "a -> b -> c -> a") {
		t.Errorf("cycle error = %v", err)
	}
}

func flatten(levels [][]string) []string {
	var out []string
	for _, l := range levels {
		out = append(out, strings.Join(l, ","))
	}
	return out
}

func TestContainerLabels(t *testing.T) {
	p := &Project{Name: "p", WorkingDir: "/w", ConfigFiles: []string{"/w/a.yaml", "/w/b.yaml"}}
	s := &Service{Name: "web", ConfigHash: "h", Container: ContainerSpec{Labels: map[string]string{
		"mine": "1", LabelProject: "spoofed",
	}}, DependsOn: []Dependency{{Service: "db", Condition: ConditionHealthy, Restart: true}}}
	l := p.ContainerLabels(s, 3, "sha256:x")
	want := map[string]string{
		"mine": "1", LabelProject: "p", LabelService: "web", LabelNumber: "3", LabelOneOff: "False",
		LabelConfigHash: "h", LabelWorkingDir: "/w", LabelConfigFiles: "/w/a.yaml,/w/b.yaml",
		LabelDependsOn: "db:service_healthy:true", LabelImage: "sha256:x", LabelVersion: Version,
	}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("label %s = %q, want %q", k, l[k], v)
		}
	}
	if _, ok := l[LabelEnvironmentFile]; ok {
		t.Error("environment_file label set without --env-file")
	}
	deps := ParseDependsOnLabel(l[LabelDependsOn])
	if len(deps) != 1 || deps[0] != (Dependency{Service: "db", Condition: ConditionHealthy, Restart: true, Required: true}) {
		t.Errorf("round trip of depends_on label: %+v", deps)
	}
}

func TestEngineSocketMounts(t *testing.T) {
	bind := func(src string) ContainerSpec {
		return ContainerSpec{Mounts: []Mount{{Type: MountBind, Source: src, Target: "/x"}}}
	}
	p := &Project{Services: []Service{
		{Name: "agent", Container: bind("/var/run/docker.sock")},
		{Name: "cleaned", Container: bind("/var/run/../run//docker.sock/")},
		{Name: "parent", Container: bind("/run")},
		{Name: "root", Container: bind("/")},
		{Name: "custom", Container: bind("/srv/engine/d.sock")},
		{Name: "linked", Container: bind("/home/me/runlink")},
		{Name: "from", Container: ContainerSpec{VolumesFrom: []string{"parent:ro"}}},
		{Name: "from2", Container: ContainerSpec{VolumesFrom: []string{"from"}}},
		{Name: "web", Container: bind("/srv/www")},
		{Name: "sibling", Container: bind("/run/docker.sockets")},
	}}
	resolve := func(p string) string {
		if p == "/home/me/runlink" {
			return "/run"
		}
		return p
	}
	got := strings.Join(p.EngineSocketMounts([]string{"/srv/engine/d.sock"}, resolve), ",")
	if want := "agent,cleaned,custom,from,from2,linked,parent,root"; got != want {
		t.Errorf("EngineSocketMounts = %s, want %s", got, want)
	}
}
