package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

func TestRead(t *testing.T) {
	var infos []string
	answered := 0
	vars, err := Read(strings.NewReader(`{"type":"info","message":"one\ntwo"}
{"type":"setenv","message":"URL=a=b"}
{"type":"rawsetenv","message":"TOKEN=x"}
{"type":"get-service-config"}
{"type":"debug","message":"ignored"}
`), func(s string) { infos = append(infos, s) }, func() { answered++ })
	if err != nil || vars.Prefixed["URL"] != "a=b" || vars.Raw["TOKEN"] != "x" || answered != 1 || strings.Join(infos, "|") != "one" {
		t.Fatalf("vars %+v err %v infos %v answered %d", vars, err, infos, answered)
	}
	if _, err := Read(strings.NewReader(`{"type":"error","message":"no quota"}`), nil, nil); !errors.Is(err, ErrProvider) || err.Error() != "no quota" {
		t.Errorf("error message: %v", err)
	}
	for _, bad := range []string{`{"type":"setenv","message":"novalue"}`, `{"type":"shout"}`, `not json`} {
		if _, err := Read(strings.NewReader(bad), nil, nil); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestArgs(t *testing.T) {
	svc := &project.Service{Name: "db", Provider: &project.Provider{Type: "x", Options: []project.ProviderOption{
		{Name: "size", Values: []string{"1"}}, {Name: "zone", Values: []string{"a", "b"}}}}}
	got, _ := Args("p", svc, "up", nil)
	if strings.Join(got, " ") != "compose --project-name=p up --size=1 --zone=a --zone=b db" {
		t.Errorf("args %v", got)
	}
	meta := &Metadata{Description: "d"}
	meta.Up.Parameters = append(meta.Up.Parameters, struct {
		Name     string `json:"name"`
		Required bool   `json:"required"`
	}{Name: "size"})
	got, _ = Args("p", svc, "up", meta)
	if strings.Join(got, " ") != "compose --project-name=p up --size=1 db" {
		t.Errorf("args with metadata %v", got)
	}
	meta.Up.Parameters[0].Name, meta.Up.Parameters[0].Required = "tier", true
	if _, err := Args("p", svc, "up", meta); err == nil || !strings.Contains(err.Error(), `required parameter "tier"`) {
		t.Errorf("missing required parameter: %v", err)
	}
}
