package dockerengine

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"

	"github.com/mycompose/mycompose/internal/environ"
)

// CLICredentials returns a Docker CLI configuration file holding every
// registry credential of the user's configuration ($DOCKER_CONFIG of
// env, else ~/.docker): its auths and what its credential helpers
// return, as Docker Compose hands them to a use_api_socket service so that
// a docker CLI in the container can pull and push as the user does.
func CLICredentials(env []string) ([]byte, error) {
	cf, err := loadCLIConfig(environ.Get(env, config.EnvOverrideConfigDir))
	if err != nil {
		return nil, err
	}
	creds, err := cf.GetAllCredentials()
	if err != nil {
		return nil, fmt.Errorf("resolve credentials: %w", err)
	}
	var buf bytes.Buffer
	if err := (&configfile.ConfigFile{AuthConfigs: creds}).SaveToWriter(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SocketPath is the host path of the selected engine's unix socket, for
// use_api_socket; an endpoint that is not a unix socket cannot be mounted,
// as in Docker Compose.
func SocketPath(sel Selection) (string, error) {
	r, err := Resolve(sel)
	if err != nil {
		return "", err
	}
	path, ok := strings.CutPrefix(r.Host, "unix://")
	if !ok || path == "" {
		return "", fmt.Errorf("use_api_socket can only be used with unix sockets: docker endpoint %s is incompatible", r)
	}
	return path, nil
}

// RegistryCredentials returns the user's credentials for a registry host
// from the Docker CLI's configuration of env (auths, credsStore,
// credHelpers), for mycompose's own registry requests (publish).
func RegistryCredentials(env []string) func(host string) (user, password string, err error) {
	return func(host string) (string, string, error) {
		ac, _, err := cliAuthConfig(environ.Get(env, config.EnvOverrideConfigDir), host)
		if err != nil {
			return "", "", err
		}
		return ac.Username, ac.Password, nil
	}
}
