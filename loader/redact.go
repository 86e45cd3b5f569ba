package loader

import (
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
)

// redacted replaces values that `config` must not print.
const redacted = "********"

// envFileKeys collects, before env_file is merged into environment, the
// variables each service takes from its env_files and does not set itself.
// Unreadable files are skipped: loading reports them.
func envFileKeys(cp *types.Project) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for name, s := range cp.Services {
		for _, f := range s.EnvFiles {
			vars, err := dotenv.Read(f.Path)
			if err != nil {
				continue
			}
			for k := range vars {
				if _, inFile := s.Environment[k]; inFile {
					continue
				}
				if out[name] == nil {
					out[name] = map[string]bool{}
				}
				out[name][k] = true
			}
		}
	}
	return out
}

// redact returns env with the values of keys replaced.
func redact(env types.MappingWithEquals, keys map[string]bool) types.MappingWithEquals {
	if len(keys) == 0 {
		return env
	}
	out := make(types.MappingWithEquals, len(env))
	for k, v := range env {
		if keys[k] && v != nil {
			r := redacted
			v = &r
		}
		out[k] = v
	}
	return out
}
