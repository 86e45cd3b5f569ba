package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/mycompose/mycompose/project"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/")

func dep(service, condition string) project.Dependency {
	return project.Dependency{Service: service, Condition: condition, Required: true}
}

// graphProject has every kind of edge, names Mermaid would misread, and an
// optional dependency on a service disabled by a profile.
func graphProject() *project.Project {
	return &project.Project{
		Name: "shop",
		// Deliberately unsorted: the output must not depend on the order.
		Services: []project.Service{
			{Name: "worker", DependsOn: []project.Dependency{dep("migrate", project.ConditionCompleted), dep("db", project.ConditionStarted)}},
			{Name: "web", DependsOn: []project.Dependency{dep("db", project.ConditionHealthy), dep("cache", project.ConditionStarted),
				{Service: "debug", Condition: project.ConditionStarted}}},
			{Name: "db"},
			{Name: "migrate", DependsOn: []project.Dependency{dep("db", project.ConditionHealthy)}},
			{Name: "cache"},
			{Name: "my-app.v2", DependsOn: []project.Dependency{dep("web", project.ConditionStarted), dep("end", project.ConditionStarted)}},
			{Name: "end"},
		},
		DisabledServices: []string{"debug"},
	}
}

func TestGraphGolden(t *testing.T) {
	for _, format := range []string{"mermaid", "dot"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := writeGraph(&out, graphProject(), format); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "graph", "shop."+format)
			if *updateGolden {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGraphGolden -update to create it)", err)
			}
			if out.String() != string(want) {
				t.Errorf("%s output differs from %s:\n%s", format, golden, out.String())
			}
			// Deterministic: the same project in another order prints the same.
			p := graphProject()
			for i, j := 0, len(p.Services)-1; i < j; i, j = i+1, j-1 {
				p.Services[i], p.Services[j] = p.Services[j], p.Services[i]
			}
			var again bytes.Buffer
			_ = writeGraph(&again, p, format)
			if again.String() != out.String() {
				t.Errorf("output depends on the service order:\n%s", again.String())
			}
		})
	}
}

func TestGraphEmptyProject(t *testing.T) {
	var out bytes.Buffer
	if err := writeGraph(&out, &project.Project{Name: "empty"}, "mermaid"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "%% project empty: an arrow goes from a service to a service it depends on\nflowchart LR\n" {
		t.Errorf("got %q", out.String())
	}
}
