package loader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/errdefs"

	"github.com/mycompose/mycompose/project"
)

func mustLoad(t *testing.T, opts Options) *project.Project {
	t.Helper()
	if opts.Environ == nil {
		opts.Environ = []string{}
	}
	p, err := Load(context.Background(), opts)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

func env(t *testing.T, s *project.Service, key string) string {
	t.Helper()
	for _, kv := range s.Container.Env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	t.Fatalf("service %s has no %s in %v", s.Name, key, s.Container.Env)
	return ""
}

func TestNameFromDirectory(t *testing.T) {
	dir := fixture(t, "My_App.1")
	p := mustLoad(t, Options{WorkDir: dir})
	if p.Name != "my_app1" {
		t.Errorf("name %q, want the normalized directory name my_app1", p.Name)
	}
}

func TestNamePrecedence(t *testing.T) {
	dir := fixture(t, "naming")
	cases := []struct {
		desc, flag string
		environ    []string
		want       string
	}{
		{"name: in the file", "", nil, "from-yaml"},
		{"COMPOSE_PROJECT_NAME over name:", "", []string{"COMPOSE_PROJECT_NAME=from-env"}, "from-env"},
		{"-p over COMPOSE_PROJECT_NAME", "from-flag", []string{"COMPOSE_PROJECT_NAME=from-env"}, "from-flag"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			p := mustLoad(t, Options{WorkDir: dir, ProjectName: c.flag, Environ: c.environ})
			if p.Name != c.want {
				t.Errorf("name %q, want %q", p.Name, c.want)
			}
		})
	}
}

func TestInvalidProjectNameFlag(t *testing.T) {
	_, err := Load(context.Background(), Options{WorkDir: fixture(t, "naming"), ProjectName: "My App", Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), `invalid project name "My App"`) {
		t.Fatalf("err %v", err)
	}
}

func TestProjectNameFromDotEnv(t *testing.T) {
	dir := inlineDir(t, "services: {a: {image: busybox}}\n", map[string]string{".env": "COMPOSE_PROJECT_NAME=dotenv-name\n"})
	if p := mustLoad(t, Options{WorkDir: dir}); p.Name != "dotenv-name" {
		t.Errorf("name %q", p.Name)
	}
}

func TestOverrideFileDiscovered(t *testing.T) {
	dir := fixture(t, "override")
	p := mustLoad(t, Options{WorkDir: dir})
	want := []string{filepath.Join(dir, "compose.yaml"), filepath.Join(dir, "compose.override.yaml")}
	if !reflect.DeepEqual(p.ConfigFiles, want) {
		t.Errorf("config files %v", p.ConfigFiles)
	}
	web := mustService(t, p, "web")
	if env(t, web, "LEVEL") != "override" || env(t, web, "BASE_ONLY") != "1" {
		t.Errorf("env %v", web.Container.Env)
	}
	// ports are merged by the override, not replaced.
	if len(web.Container.Ports) != 2 {
		t.Errorf("ports %+v", web.Container.Ports)
	}
}

func TestExplicitFilesMergeInOrder(t *testing.T) {
	dir := fixture(t, "override")
	// Relative -f paths resolve against the caller's cwd.
	p := mustLoad(t, Options{WorkDir: dir, Files: []string{"compose.yaml", "prod.yaml"}})
	if want := []string{filepath.Join(dir, "compose.yaml"), filepath.Join(dir, "prod.yaml")}; !reflect.DeepEqual(p.ConfigFiles, want) {
		t.Errorf("config files %v (the override file is only automatic without -f)", p.ConfigFiles)
	}
	web := mustService(t, p, "web")
	if web.Container.Image != "nginx:1.27" || env(t, web, "LEVEL") != "prod" {
		t.Errorf("image %q env %v", web.Container.Image, web.Container.Env)
	}
}

func TestComposeFileVariable(t *testing.T) {
	dir := fixture(t, "override")
	p := mustLoad(t, Options{WorkDir: dir, Environ: []string{"COMPOSE_FILE=compose.yaml:prod.yaml"}})
	if len(p.ConfigFiles) != 2 || mustService(t, p, "web").Container.Image != "nginx:1.27" {
		t.Errorf("config files %v", p.ConfigFiles)
	}
}

func TestDotEnvInterpolation(t *testing.T) {
	dir := fixture(t, "interpolation")
	app := mustService(t, mustLoad(t, Options{WorkDir: dir}), "app")
	if app.Container.Image != "busybox:dotenv" || env(t, app, "PORT") != "8080" || env(t, app, "FROM_ALT") != "none" {
		t.Errorf("image %q env %v", app.Container.Image, app.Container.Env)
	}
}

func TestProcessEnvironmentWinsOverDotEnv(t *testing.T) {
	dir := fixture(t, "interpolation")
	app := mustService(t, mustLoad(t, Options{WorkDir: dir, Environ: []string{"TAG=process", "PORT=9"}}), "app")
	if app.Container.Image != "busybox:process" || env(t, app, "PORT") != "9" {
		t.Errorf("image %q env %v", app.Container.Image, app.Container.Env)
	}
}

func TestEnvironIsHermetic(t *testing.T) {
	t.Setenv("TAG", "leaked-from-os")
	dir := fixture(t, "interpolation")
	app := mustService(t, mustLoad(t, Options{WorkDir: dir, Environ: []string{}}), "app")
	if app.Container.Image != "busybox:dotenv" {
		t.Errorf("image %q: os.Environ leaked into interpolation", app.Container.Image)
	}
}

func TestEnvFileFlag(t *testing.T) {
	dir := fixture(t, "interpolation")
	p := mustLoad(t, Options{WorkDir: dir, EnvFiles: []string{"alt.env"}})
	app := mustService(t, p, "app")
	if app.Container.Image != "busybox:alt" || env(t, app, "FROM_ALT") != "yes" {
		t.Errorf("image %q env %v (--env-file replaces .env)", app.Container.Image, app.Container.Env)
	}
	if want := []string{filepath.Join(dir, "alt.env")}; !reflect.DeepEqual(p.EnvFiles, want) {
		t.Errorf("env files %v, want %v", p.EnvFiles, want)
	}
}

func TestComposeEnvFilesVariable(t *testing.T) {
	dir := fixture(t, "interpolation")
	p := mustLoad(t, Options{WorkDir: dir, Environ: []string{"COMPOSE_ENV_FILES=alt.env"}})
	if mustService(t, p, "app").Container.Image != "busybox:alt" || len(p.EnvFiles) != 1 {
		t.Errorf("env files %v", p.EnvFiles)
	}
}

func TestMissingEnvFileFlag(t *testing.T) {
	_, err := Load(context.Background(), Options{WorkDir: fixture(t, "interpolation"), EnvFiles: []string{"nope.env"}, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "nope.env") {
		t.Fatalf("err %v", err)
	}
}

func TestRequiredVariable(t *testing.T) {
	dir := fixture(t, "required-var")
	_, err := Load(context.Background(), Options{WorkDir: dir, Environ: []string{}})
	if err == nil {
		t.Fatal("load succeeded without TAG")
	}
	for _, want := range []string{"compose.yaml", "required variable TAG is missing a value", "TAG must be set to the release tag"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	p := mustLoad(t, Options{WorkDir: dir, Environ: []string{"TAG=1.0"}})
	if mustService(t, p, "app").Container.Image != "busybox:1.0" {
		t.Error("TAG not interpolated")
	}
}

func TestEnvFileKey(t *testing.T) {
	p := mustLoad(t, Options{WorkDir: inlineDir(t, `
services:
  app:
    image: busybox
    env_file: [app.env, {path: optional.env, required: false}]
    environment: {B: from-environment}
`, map[string]string{"app.env": "A=from-file\nB=from-file\nC=${A}-interpolated\n"})})
	app := mustService(t, p, "app")
	if want := []string{"A=from-file", "B=from-environment", "C=from-file-interpolated"}; !reflect.DeepEqual(app.Container.Env, want) {
		t.Errorf("env %v, want %v", app.Container.Env, want)
	}
}

func TestExtends(t *testing.T) {
	p := mustLoad(t, Options{WorkDir: fixture(t, "extends")})
	for _, name := range []string{"app", "sibling"} {
		s := mustService(t, p, name)
		if s.Container.Image != "busybox" || env(t, s, "FROM_BASE") != "1" || env(t, s, "LEVEL") != "app" ||
			s.Container.Labels["com.example.base"] != "yes" {
			t.Errorf("%s: %+v", name, s.Container)
		}
	}
	if c := mustService(t, p, "sibling").Container.Cmd; !reflect.DeepEqual(c, []string{"true"}) {
		t.Errorf("sibling command %v", c)
	}
}

func TestInclude(t *testing.T) {
	dir := fixture(t, "include")
	p := mustLoad(t, Options{WorkDir: dir})
	if p.Name != "include" || !reflect.DeepEqual(p.ServiceNames(), []string{"db", "web"}) {
		t.Fatalf("name %q services %v", p.Name, p.ServiceNames())
	}
	db := mustService(t, p, "db")
	// The included file's own .env and directory apply to it.
	if db.Container.Image != "postgres:16" || db.Container.Mounts[0].Source != filepath.Join(dir, "db", "init") {
		t.Errorf("db %+v", db.Container)
	}
	if len(p.Volumes) != 1 || p.Volumes[0].Name != "include_dbdata" {
		t.Errorf("volumes %+v", p.Volumes)
	}
}

func TestProfiles(t *testing.T) {
	dir := fixture(t, "profiles")
	cases := []struct {
		desc     string
		opts     Options
		enabled  []string
		disabled []string
	}{
		{"none", Options{}, []string{"app"}, []string{"debug", "migrate", "tools"}},
		{"--profile debug", Options{Profiles: []string{"debug"}}, []string{"app", "debug", "tools"}, []string{"migrate"}},
		{"COMPOSE_PROFILES", Options{Environ: []string{"COMPOSE_PROFILES=ops,tools"}}, []string{"app", "migrate", "tools"}, []string{"debug"}},
		{"--profile wins over COMPOSE_PROFILES", Options{Profiles: []string{"ops"}, Environ: []string{"COMPOSE_PROFILES=debug"}}, []string{"app", "migrate"}, []string{"debug", "tools"}},
		{"*", Options{Profiles: []string{"*"}}, []string{"app", "debug", "migrate", "tools"}, nil},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			c.opts.WorkDir = dir
			p := mustLoad(t, c.opts)
			if !reflect.DeepEqual(p.ServiceNames(), c.enabled) || !reflect.DeepEqual(p.DisabledServices, c.disabled) {
				t.Errorf("enabled %v disabled %v", p.ServiceNames(), p.DisabledServices)
			}
		})
	}
}

func TestParentDirectoryLookup(t *testing.T) {
	root := fixture(t, "parent-lookup")
	p := mustLoad(t, Options{WorkDir: filepath.Join(root, "sub", "deeper")})
	if p.Name != "parent-lookup" || p.WorkingDir != root {
		t.Errorf("name %q dir %q: the project directory is the found file's", p.Name, p.WorkingDir)
	}
	if src := mustService(t, p, "app").Container.Mounts[0].Source; src != filepath.Join(root, "data") {
		t.Errorf("bind source %q", src)
	}
}

func TestProjectDirectory(t *testing.T) {
	root := fixture(t, "parent-lookup")
	p := mustLoad(t, Options{WorkDir: t.TempDir(), ProjectDirectory: root})
	if p.Name != "parent-lookup" || p.WorkingDir != root {
		t.Errorf("name %q dir %q", p.Name, p.WorkingDir)
	}
}

func TestNoConfigFile(t *testing.T) {
	_, err := Load(context.Background(), Options{WorkDir: t.TempDir(), Environ: []string{}})
	if err == nil || !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"no configuration file provided: not found", "compose.yaml", "docker-compose.yml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestBadFileFlag(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"locked.yaml": "services: {}\n", "sub/x": ""})
	if err := os.Chmod(filepath.Join(dir, "locked.yaml"), 0); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"missing.yaml": `compose file "missing.yaml" not found`,
		"sub":          `compose file "sub" is a directory`,
	}
	if os.Geteuid() != 0 { // root reads anything
		cases["locked.yaml"] = `compose file "locked.yaml" is not readable`
	}
	for file, want := range cases {
		_, err := Load(context.Background(), Options{WorkDir: dir, Files: []string{file}, Environ: []string{}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("-f %s: err %v, want %q", file, err, want)
		}
	}
}

func TestComposeFileFromStdin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "piped")
	writeFiles(t, dir, map[string]string{"stdin.yaml": "services:\n  app: {image: busybox}\n"})
	f, err := os.Open(filepath.Join(dir, "stdin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	p := mustLoad(t, Options{WorkDir: dir, Files: []string{"-"}})
	if p.Name != "piped" || p.WorkingDir != dir || len(p.Services) != 1 {
		t.Errorf("name %q dir %q services %v", p.Name, p.WorkingDir, p.ServiceNames())
	}
}

func TestDisableDotEnv(t *testing.T) {
	p := mustLoad(t, Options{WorkDir: fixture(t, "interpolation"), Environ: []string{"COMPOSE_DISABLE_ENV_FILE=true"}})
	if img := mustService(t, p, "app").Container.Image; img != "busybox:" {
		t.Errorf("image %q: .env must be ignored", img)
	}
}
