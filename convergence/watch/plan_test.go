package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

// testRules compiles rules for service "web" (build context /p) below a
// temp project directory.
func testRules(t *testing.T, dockerignore string, rules ...project.WatchRule) (string, []*rule) {
	t.Helper()
	dir := t.TempDir()
	if dockerignore != "" {
		if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(dockerignore), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range rules {
		rules[i].Path = filepath.Join(dir, rules[i].Path)
		if err := os.MkdirAll(rules[i].Path, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := &project.Project{Name: "p", WorkingDir: dir, Services: []project.Service{
		{Name: "web", Watch: rules, Build: &project.Build{Context: dir}},
	}}
	compiled, err := compileRules(p, []string{"web"})
	if err != nil {
		t.Fatal(err)
	}
	return dir, compiled
}

// render is a Work in one line, for golden comparisons.
func render(works []Work) string {
	var b strings.Builder
	for _, w := range works {
		fmt.Fprintf(&b, "%s rebuild=%v restart=%v execs=%d paths=%d", w.Service, w.Rebuild, w.Restart, len(w.Execs), w.Paths)
		for _, c := range w.Copies {
			fmt.Fprintf(&b, " +%s", c.Container)
		}
		for _, d := range w.Deletes {
			fmt.Fprintf(&b, " -%s", d)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestPlanBatch(t *testing.T) {
	sync := project.WatchRule{Path: "src", Action: "sync", Target: "/app", Ignore: []string{"*.log", "node_modules/"}}
	cases := []struct {
		name    string
		rules   []project.WatchRule
		di      string
		changes map[string]Op // relative to the project dir
		exist   []string
		want    string
	}{
		{"copy and delete", []project.WatchRule{sync}, "",
			map[string]Op{"src/a.txt": OpChange, "src/gone.txt": OpChange}, []string{"src/a.txt"},
			"web rebuild=false restart=false execs=0 paths=2 +/app/a.txt -/app/gone.txt\n"},
		{"temp file created and gone in the batch is not deleted", []project.WatchRule{sync}, "",
			map[string]Op{"src/a.txt": OpCreate, "src/.a.txt.tmp1": OpCreate}, []string{"src/a.txt"},
			"web rebuild=false restart=false execs=0 paths=2 +/app/a.txt\n"},
		{"ignore, editor files and dockerignore", []project.WatchRule{sync}, "src/secret\n",
			map[string]Op{"src/x.log": OpChange, "src/node_modules/m.js": OpChange, "src/.a.swp": OpChange, "src/a.txt~": OpChange, "src/secret": OpChange, "src/.git/index": OpChange}, nil,
			""},
		{"new directory copied whole", []project.WatchRule{sync}, "",
			map[string]Op{"src/d": OpCreate, "src/d/f": OpCreate, "src/d/g/h": OpCreate}, []string{"src/d", "src/d/f", "src/d/g/h"},
			"web rebuild=false restart=false execs=0 paths=3 +/app/d\n"},
		{"include", []project.WatchRule{{Path: "src", Action: "sync", Target: "/app", Include: []string{"*.html"}}}, "",
			map[string]Op{"src/a.html": OpChange, "src/a.css": OpChange}, []string{"src/a.html", "src/a.css"},
			"web rebuild=false restart=false execs=0 paths=1 +/app/a.html\n"},
		{"sync+restart and sync+exec", []project.WatchRule{
			{Path: "conf", Action: "sync+restart", Target: "/etc/c"},
			{Path: "src", Action: "sync+exec", Target: "/app", Exec: &project.WatchExec{Command: []string{"x"}}}}, "",
			map[string]Op{"conf/a": OpChange, "src/b": OpChange, "src/c": OpChange}, []string{"conf/a", "src/b", "src/c"},
			"web rebuild=false restart=true execs=1 paths=3 +/app/b +/app/c +/etc/c/a\n"},
		{"restart only", []project.WatchRule{{Path: "conf", Action: "restart"}}, "",
			map[string]Op{"conf/a": OpChange}, nil,
			"web rebuild=false restart=true execs=0 paths=1\n"},
		{"rebuild supersedes sync", []project.WatchRule{sync, {Path: "deps", Action: "rebuild"}}, "",
			map[string]Op{"src/a": OpChange, "deps/lock": OpChange}, []string{"src/a", "deps/lock"},
			"web rebuild=true restart=false execs=0 paths=2\n"},
		{"outside every rule", []project.WatchRule{sync}, "",
			map[string]Op{"other/a": OpChange, "srcx/a": OpChange}, []string{"other/a", "srcx/a"},
			""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, rules := testRules(t, c.di, c.rules...)
			changes := map[string]Op{}
			for p, op := range c.changes {
				changes[filepath.Join(dir, p)] = op
			}
			present := map[string]bool{}
			for _, p := range c.exist {
				present[filepath.Join(dir, p)] = true
			}
			got := render(planBatch(rules, changes, func(p string) bool { return present[p] }))
			if got != c.want {
				t.Errorf("plan:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}
