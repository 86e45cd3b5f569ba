package loader

import (
	"context"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
)

// PublishProject is what `publish` needs of a project: its files and, for
// Docker Compose's checks before publishing, what each service declares.
type PublishProject struct {
	WorkingDir string
	// Files are the compose files, in merge order.
	Files    []string
	Services []PublishService
	// EnvConfigs are the configs declared from an environment variable.
	EnvConfigs []string
}

// PublishService is one service, every profile included.
type PublishService struct {
	Name        string
	Image       string // as written, "" when none
	Build       bool
	EnvFiles    []string // absolute paths
	Environment bool     // declares environment variables
	Binds       []string // bind mounts, "source:target"
}

// Publishable loads the project with every profile, as Docker Compose
// publishes it, and returns what publish checks and packs.
func Publishable(ctx context.Context, opts Options) (*PublishProject, error) {
	opts.Profiles = []string{"*"}
	return whileLoading(ctx, func() (out *PublishProject, err error) {
		defer recoverPanic(&err)
		// Validated as every command loads it...
		l, err := load(ctx, opts)
		if err != nil {
			return nil, err
		}
		if _, err := l.convert(); err != nil {
			return nil, err
		}
		// ...and read with the env_files still apart from the environment.
		raw := opts
		raw.NoEnvResolution = true
		if l, err = load(ctx, raw); err != nil {
			return nil, err
		}
		cp := l.compose
		out = &PublishProject{WorkingDir: cp.WorkingDir, Files: append([]string(nil), cp.ComposeFiles...)}
		for _, name := range cp.ServiceNames() {
			s := cp.Services[name]
			ps := PublishService{Name: name, Image: s.Image, Build: s.Build != nil, Environment: len(s.Environment) > 0}
			for _, f := range s.EnvFiles {
				ps.EnvFiles = append(ps.EnvFiles, f.Path)
			}
			for _, v := range s.Volumes {
				if v.Type == types.VolumeTypeBind {
					ps.Binds = append(ps.Binds, v.Source+":"+v.Target)
				}
			}
			out.Services = append(out.Services, ps)
		}
		for name, c := range cp.Configs {
			if c.Environment != "" {
				out.EnvConfigs = append(out.EnvConfigs, name)
			}
		}
		sort.Strings(out.EnvConfigs)
		return out, nil
	})
}
