package cli

// Running as a Docker CLI plugin: installed as
// ~/.docker/cli-plugins/docker-mycompose, `docker mycompose up` runs
// `docker-mycompose [docker's global flags] mycompose up` with
// DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND set, and `docker info` runs
// `docker-mycompose docker-cli-plugin-metadata`.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/project"
)

const (
	pluginMetadataCommand = "docker-cli-plugin-metadata"
	// pluginReexecEnv is set by the docker CLI when it runs a plugin.
	pluginReexecEnv = "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND"
	// pluginSocketEnv names the socket the docker CLI closes to ask the
	// plugin to stop (when it got a signal the plugin did not).
	pluginSocketEnv = "DOCKER_CLI_PLUGIN_SOCKET"
	pluginName      = "mycompose"
)

// pluginMetadata is what the docker CLI reads to list and run the plugin.
type pluginMetadata struct {
	SchemaVersion    string
	Vendor           string
	Version          string
	ShortDescription string
}

func newPluginMetadataCommand(deps *Deps) *cobra.Command {
	return &cobra.Command{
		Use:    pluginMetadataCommand,
		Short:  "Print the Docker CLI plugin metadata",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			enc := json.NewEncoder(deps.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(pluginMetadata{
				SchemaVersion:    "0.1.0",
				Vendor:           "mycompose",
				Version:          project.Version,
				ShortDescription: "Define and run multi-container applications (mycompose)",
			})
		},
	}
}

// dockerValueFlags are the docker CLI's global flags that take a value.
var dockerValueFlags = map[string]bool{"--context": true, "-c": true, "--host": true, "-H": true, "--config": true,
	"--log-level": true, "-l": true, "--tlscacert": true, "--tlscert": true, "--tlskey": true}

// pluginArgs turns a plugin invocation's arguments into mycompose's: the
// docker CLI passes its own global flags, then the plugin name, then the
// plugin's arguments. The plugin name is dropped; --context and -H/--host
// become mycompose's flags and --config sets DOCKER_CONFIG. Outside a
// plugin invocation (or when the first argument is not the plugin name)
// args are returned unchanged. `docker help mycompose X` and docker's
// completion (`__complete mycompose ...`) are rewritten likewise.
func pluginArgs(deps *Deps, argv0 string, args []string) ([]string, error) {
	if envValue(deps.Environ, pluginReexecEnv) == "" {
		return args, nil
	}
	name := pluginName
	if base := filepath.Base(argv0); strings.HasPrefix(base, "docker-") {
		name = strings.TrimPrefix(base, "docker-")
	}
	var globals []string
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-"; i++ {
		flag, value, inline := strings.Cut(args[i], "=")
		if !strings.HasPrefix(flag, "--") && len(flag) > 2 { // -cfoo
			flag, value, inline = flag[:2], strings.TrimPrefix(flag[2:], "="), true
		}
		if dockerValueFlags[flag] && !inline {
			if i+1 >= len(args) {
				return nil, usageError{fmt.Errorf("docker flag %s needs a value", flag)}
			}
			i++
			value = args[i]
		}
		switch flag {
		case "--context", "-c":
			globals = append(globals, "--context", value)
		case "--host", "-H":
			globals = append(globals, "--host", value)
		case "--config":
			deps.Environ = append(deps.Environ, "DOCKER_CONFIG="+value)
			// Registry credentials are read through the process environment.
			os.Setenv("DOCKER_CONFIG", value)
		case "--tlsverify":
			if !inline || value == "true" || value == "1" {
				deps.Environ = append(deps.Environ, "DOCKER_TLS_VERIFY=1")
			}
		case "--debug", "-D", "--log-level", "-l":
		case "--tls", "--tlscacert", "--tlscert", "--tlskey":
			return nil, usageError{fmt.Errorf("docker flag %s is not supported by mycompose: set DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, or use a docker context", flag)}
		default:
			return nil, usageError{fmt.Errorf("unknown docker flag %s before %q", flag, name)}
		}
	}
	rest := args[i:]
	switch {
	case len(rest) > 0 && rest[0] == name:
		rest = rest[1:]
	case len(rest) > 1 && rest[1] == name && (rest[0] == "help" || strings.HasPrefix(rest[0], cobra.ShellCompRequestCmd)):
		rest = append([]string{rest[0]}, rest[2:]...)
	default:
		return args, nil
	}
	return append(globals, rest...), nil
}

// watchPluginSocket connects to the docker CLI's plugin socket, when it
// passed one, and calls stop when the CLI closes it: the CLI does so on a
// signal that the plugin itself may not have received (no terminal).
func watchPluginSocket(environ []string, stop func()) {
	addr := envValue(environ, pluginSocketEnv)
	if addr == "" || envValue(environ, pluginReexecEnv) == "" {
		return
	}
	conn, err := net.Dial("unix", addr)
	if err != nil {
		return
	}
	go func() {
		b := make([]byte, 1)
		for {
			if _, err := conn.Read(b); err != nil {
				if errors.Is(err, io.EOF) {
					stop()
				}
				return
			}
		}
	}()
}
