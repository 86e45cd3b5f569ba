package loader

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/mycompose/mycompose/project"
)

func TestWatchRulesLoaded(t *testing.T) {
	p := mustLoadInline(t, `
services:
  web:
    image: busybox
    build: .
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app/src/
          ignore: [node_modules/, "*.log"]
          include: ["*.html"]
          initial_sync: true
        - path: package.json
          action: rebuild
        - path: ./conf
          action: sync+exec
          target: /etc/conf
          exec:
            command: kill -HUP 1
            user: root
            privileged: true
            working_dir: /etc
            environment: {B: "2", A: "1"}
        - path: ./bin
          action: sync+restart
          target: /bin2
        - path: ./restart-me
          action: restart
`)
	web := mustService(t, p, "web")
	dir := p.WorkingDir
	want := []project.WatchRule{
		{Path: filepath.Join(dir, "src"), Action: "sync", Target: "/app/src", Ignore: []string{"node_modules/", "*.log"}, Include: []string{"*.html"}, InitialSync: true},
		{Path: filepath.Join(dir, "package.json"), Action: "rebuild"},
		{Path: filepath.Join(dir, "conf"), Action: "sync+exec", Target: "/etc/conf", Exec: &project.WatchExec{
			Command: []string{"kill", "-HUP", "1"}, User: "root", Privileged: true, WorkingDir: "/etc", Env: []string{"A=1", "B=2"}}},
		{Path: filepath.Join(dir, "bin"), Action: "sync+restart", Target: "/bin2"},
		{Path: filepath.Join(dir, "restart-me"), Action: "restart"},
	}
	if !reflect.DeepEqual(web.Watch, want) {
		t.Errorf("watch rules:\n got %+v\nwant %+v", web.Watch, want)
	}
}

func TestWatchRulesRefused(t *testing.T) {
	cases := []struct {
		name, rule string
		want       []string
	}{
		{"sync without target", "{path: ., action: sync}", []string{`compose.yaml:5:`, `target is required`}},
		{"relative target", "{path: ., action: sync, target: app}", []string{`develop.watch[0].target "app" is not an absolute container path`}},
		{"rebuild without build", "{path: ., action: rebuild}", []string{`action rebuild needs a build section`}},
		{"exec without command", "{path: ., action: sync+exec, target: /a}", []string{`action sync+exec needs exec.command`}},
		{"exec on sync", "{path: ., action: sync, target: /a, exec: {command: x}}", []string{`develop.watch[0].exec applies to action sync+exec only`}},
		{"initial_sync on restart", "{path: ., action: restart, initial_sync: true}", []string{`initial_sync applies to the sync actions only`}},
		{"bad pattern", "{path: ., action: sync, target: /a, ignore: ['[']}", []string{`develop.watch[0].ignore:`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loadErr(t, "services:\n  web:\n    image: busybox\n    develop:\n      watch:\n        - "+c.rule+"\n", c.want...)
		})
	}
}

func TestWatchRefusedInSwarm(t *testing.T) {
	dir := inlineDir(t, "services:\n  web:\n    image: busybox\n    develop: {watch: [{path: ., action: restart}]}\n", nil)
	_, err := Load(t.Context(), Options{WorkDir: dir, Environ: []string{}, Swarm: true})
	if err == nil {
		t.Fatal("develop loaded in Swarm mode")
	}
}
