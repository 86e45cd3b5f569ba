package loader

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/compose-spec/compose-go/v2/types"
)

// ServiceHash is the Docker Compose config hash of one service
// (pkg/compose/hash.go): the sha256 of the JSON of the service with the keys
// that may change without recreating containers cleared. Containers carry
// it in com.docker.compose.config-hash, so it must match Docker Compose's
// byte for byte for both tools to agree on what is up to date.
func ServiceHash(s types.ServiceConfig) (string, error) {
	return jsonHash(hashedConfig(s))
}

// ServiceConfigJSON is the JSON that ServiceHash hashes. Containers keep it
// in a label so that a later up can name the fields that changed.
func ServiceConfigJSON(s types.ServiceConfig) ([]byte, error) {
	return json.Marshal(hashedConfig(s))
}

// hashedConfig is s with the keys the hash leaves out cleared.
func hashedConfig(s types.ServiceConfig) types.ServiceConfig {
	s.Build = nil
	s.PullPolicy = ""
	s.Scale = nil
	if s.Deploy != nil {
		// s is a copy but Deploy is shared with the project: copy it too.
		deploy := *s.Deploy
		deploy.Replicas = nil
		s.Deploy = &deploy
	}
	s.DependsOn = nil
	s.Profiles = nil
	return s
}

// networkHash is Docker Compose's NetworkHash.
func networkHash(n types.NetworkConfig) (string, error) {
	return jsonHash(&n)
}

// volumeHash is Docker Compose's VolumeHash: it defaults the driver first.
func volumeHash(v types.VolumeConfig) (string, error) {
	if v.Driver == "" {
		v.Driver = "local"
	}
	return jsonHash(v)
}

func jsonHash(v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
