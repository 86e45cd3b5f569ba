package cli

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPluginArgs(t *testing.T) {
	plugin := []string{"DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND=docker"}
	cases := []struct {
		env  []string
		args string
		want string
	}{
		{nil, "mycompose up", "mycompose up"}, // not run by docker: unchanged
		{plugin, "mycompose up -d", "up -d"},
		{plugin, "mycompose -p x ps", "-p x ps"},
		{plugin, "--context remote mycompose ps", "--context remote ps"},
		{plugin, "-c remote mycompose ps", "--context remote ps"},
		{plugin, "--context=remote -D mycompose ps", "--context remote ps"},
		{plugin, "-H tcp://h:2375 --log-level warn mycompose ps", "--host tcp://h:2375 ps"},
		{plugin, "-Htcp://h:2375 mycompose ps", "--host tcp://h:2375 ps"},
		{plugin, "help mycompose", "help"},
		{plugin, "help mycompose up", "help up"},
		{plugin, "__complete mycompose ps ", "__complete ps "},
		{plugin, "docker-cli-plugin-metadata", "docker-cli-plugin-metadata"},
		{plugin, "version", "version"}, // run directly from a plugin's environment
	}
	for _, c := range cases {
		deps := &Deps{Environ: c.env}
		got, err := pluginArgs(deps, "/root/.docker/cli-plugins/docker-mycompose", strings.Split(c.args, " "))
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q -> %q, want %q", c.args, strings.Join(got, " "), c.want)
		}
	}
}

func TestPluginArgsEnvironment(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", os.Getenv("DOCKER_CONFIG"))
	deps := &Deps{Environ: []string{"DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND=docker"}}
	got, err := pluginArgs(deps, "docker-mycompose", []string{"--config", "/tmp/cfg", "--tlsverify", "mycompose", "ps"})
	if err != nil || strings.Join(got, " ") != "ps" {
		t.Fatalf("got %v, %v", got, err)
	}
	if envValue(deps.Environ, "DOCKER_CONFIG") != "/tmp/cfg" || envValue(deps.Environ, "DOCKER_TLS_VERIFY") != "1" {
		t.Errorf("environment not set: %v", deps.Environ)
	}
	// A renamed plugin binary: the name comes from the executable.
	got, _ = pluginArgs(deps, "/x/docker-mc", []string{"mc", "ps"})
	if strings.Join(got, " ") != "ps" {
		t.Errorf("renamed plugin: %v", got)
	}
}

func TestPluginArgsErrors(t *testing.T) {
	for args, want := range map[string]string{
		"--tlscacert ca.pem mycompose ps": "--tlscacert is not supported",
		"--frobnicate mycompose ps":       `unknown docker flag --frobnicate before "mycompose"`,
		"--context":                       "--context needs a value",
	} {
		deps := &Deps{Environ: []string{"DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND=docker"}}
		_, err := pluginArgs(deps, "docker-mycompose", strings.Split(args, " "))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", args, err, want)
		}
	}
}

func TestPluginMetadata(t *testing.T) {
	code, out, errs := runCLI(t, t.TempDir(), nil, "docker-cli-plugin-metadata")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if m["SchemaVersion"] != "0.1.0" || m["Vendor"] != "mycompose" || m["Version"] == "" || m["ShortDescription"] == "" {
		t.Errorf("metadata = %v", m)
	}
	// Hidden from help.
	_, help, _ := runCLI(t, t.TempDir(), nil, "--help")
	if strings.Contains(help, "docker-cli-plugin-metadata") {
		t.Error("the metadata command is listed in --help")
	}
}

func TestWatchPluginSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cli.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stopped := make(chan struct{})
	watchPluginSocket([]string{"DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND=docker", "DOCKER_CLI_PLUGIN_SOCKET=" + path}, func() { close(stopped) })
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
		t.Fatal("stopped before the CLI closed the socket")
	case <-time.After(50 * time.Millisecond):
	}
	conn.Close()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("closing the socket did not stop the plugin")
	}
}
