package loader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/errdefs"
	"github.com/compose-spec/compose-go/v2/utils"
)

// Environment variables Docker Compose reads from the process environment
// (not from .env) to default --env-file.
const envComposeEnvFiles = "COMPOSE_ENV_FILES"

// session holds the inputs of one load with every ambient value (cwd,
// process environment) captured from Options, so that the steps below never
// consult os.Getwd or os.Environ behind the caller's back. This is what makes
// the tests hermetic.
type session struct {
	opts       Options
	cwd        string
	environ    map[string]string
	projectDir string   // absolute --project-directory, or ""
	envFiles   []string // absolute --env-file (or COMPOSE_ENV_FILES) paths
}

func newSession(opts Options) (*session, error) {
	s := &session{opts: opts, cwd: opts.WorkDir}
	if s.cwd == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("cannot determine the current directory: %w", err)
		}
		s.cwd = wd
	}
	abs, err := filepath.Abs(s.cwd)
	if err != nil {
		return nil, err
	}
	s.cwd = abs
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	s.environ = utils.GetAsEqualsMap(environ)
	if opts.ProjectDirectory != "" {
		s.projectDir = s.abs(opts.ProjectDirectory)
		if err := checkDir(opts.ProjectDirectory, s.projectDir); err != nil {
			return nil, err
		}
	}
	files := opts.EnvFiles
	if len(files) == 0 {
		// Docker Compose uses COMPOSE_ENV_FILES as the default of --env-file.
		files = strings.FieldsFunc(s.environ[envComposeEnvFiles], func(r rune) bool { return r == ',' })
	}
	origin := "--env-file"
	if len(opts.EnvFiles) == 0 {
		origin = envComposeEnvFiles
	}
	for _, f := range files {
		p := s.abs(f)
		if err := checkEnvFile(origin, f, p); err != nil {
			return nil, err
		}
		s.envFiles = append(s.envFiles, p)
	}
	return s, nil
}

// checkEnvFile reports, in plain words, an env file that cannot be read.
func checkEnvFile(origin, given, path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("env file %q (%s) not found", given, origin)
	case err != nil:
		return fmt.Errorf("env file %q (%s) cannot be read: %w", given, origin, pathErr(err))
	case st.IsDir():
		return fmt.Errorf("env file %q (%s) is a directory, not a file", given, origin)
	}
	return nil
}

// pathErr drops the operation and path of a *fs.PathError, which messages
// already name.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// abs resolves p against the caller's working directory ("-" is stdin).
func (s *session) abs(p string) string {
	if p == "-" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.cwd, p)
}

// projectOptions reproduces the option chain of Docker Compose's
// buildProjectOptions (cmd/compose), swapping the steps that read the real
// process state for hermetic equivalents.
func (s *session) projectOptions() (*cli.ProjectOptions, error) {
	files, err := s.checkFiles("", s.opts.Files)
	if err != nil {
		return nil, err
	}
	env := utils.GetAsStringList(s.environ)
	if _, ok := s.environ["PWD"]; !ok {
		env = append(env, "PWD="+s.cwd)
	}
	return cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(s.projectDir),
		cli.WithEnv(env),
		// The .env of the directory known so far (--project-directory, the
		// first -f file's, or the cwd) may set COMPOSE_FILE...
		s.withEnvFiles,
		s.checkEnvExpansion,
		cli.WithDotEnv,
		s.withConfigFileEnv,
		s.withDefaultConfigPath,
		s.withStdinWorkingDir,
		// ...then .env next to the compose file, now that we know where it is.
		s.withEnvFiles,
		s.checkEnvExpansion,
		cli.WithDotEnv,
		cli.WithDefaultProfiles(s.opts.Profiles...),
		cli.WithName(s.opts.ProjectName),
		// Docker Compose resolves env_file itself after loading (see load).
		cli.WithoutEnvironmentResolution,
		// config's --no-* flags; all true for Load.
		cli.WithInterpolation(!s.opts.NoInterpolate),
		cli.WithNormalization(!s.opts.NoNormalize),
		cli.WithResolvedPaths(!s.opts.NoPathResolution),
		cli.WithConsistency(!s.opts.NoConsistency),
	)
}

// workingDir is cli.ProjectOptions.GetWorkingDir without the os.Getwd fallback.
func (s *session) workingDir(o *cli.ProjectOptions) string {
	if o.WorkingDir != "" {
		return o.WorkingDir
	}
	for _, p := range o.ConfigPaths {
		if p != "-" {
			return filepath.Dir(p)
		}
	}
	return s.cwd
}

// withEnvFiles is cli.WithEnvFiles reading COMPOSE_DISABLE_ENV_FILE from the
// captured environment.
func (s *session) withEnvFiles(o *cli.ProjectOptions) error {
	if len(s.envFiles) > 0 {
		o.EnvFiles = s.envFiles
		return nil
	}
	if v, ok := s.environ[consts.ComposeDisableDefaultEnvFile]; ok {
		disable, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("invalid %s value %q: %w", consts.ComposeDisableDefaultEnvFile, v, err)
		}
		if disable {
			return nil
		}
	}
	dotEnv := filepath.Join(s.workingDir(o), ".env")
	st, err := os.Stat(dotEnv)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		o.EnvFiles = []string{dotEnv}
	}
	return nil
}

// withConfigFileEnv is cli.WithConfigFileEnv resolving relative entries
// against the captured cwd.
func (s *session) withConfigFileEnv(o *cli.ProjectOptions) error {
	if len(o.ConfigPaths) > 0 {
		return nil
	}
	value, ok := o.Environment[consts.ComposeFilePath]
	if !ok {
		return nil
	}
	sep := o.Environment[consts.ComposePathSeparator]
	if sep == "" {
		sep = string(os.PathListSeparator)
	}
	var files []string
	for _, f := range strings.Split(value, sep) {
		if f != "" {
			files = append(files, f)
		}
	}
	paths, err := s.checkFiles(consts.ComposeFilePath, files)
	if err != nil {
		return err
	}
	o.ConfigPaths = paths
	return nil
}

// withDefaultConfigPath runs cli.WithDefaultConfigPath from the project
// directory or the captured cwd, then restores WorkingDir so that, as in
// Docker Compose, the project directory becomes the found file's directory.
func (s *session) withDefaultConfigPath(o *cli.ProjectOptions) error {
	if len(o.ConfigPaths) > 0 {
		return nil
	}
	saved := o.WorkingDir
	start := s.workingDir(o)
	o.WorkingDir = start
	err := cli.WithDefaultConfigPath(o)
	o.WorkingDir = saved
	if err != nil {
		return err
	}
	if len(o.ConfigPaths) == 0 {
		// A default name that exists but cannot be followed (a dangling or
		// looping symbolic link) deserves its own message.
		for _, name := range cli.DefaultFileNames {
			p := filepath.Join(start, name)
			if _, err := os.Lstat(p); err == nil {
				if err := checkFile("", s.display(p), p); err != nil {
					return err
				}
			}
		}
		return fmt.Errorf("%w: %w\nhint: looked for %s in %s and its parent directories; name a file with -f or COMPOSE_FILE",
			ErrNoConfigFile, errdefs.ErrNotFound, strings.Join(cli.DefaultFileNames, ", "), start)
	}
	for _, p := range o.ConfigPaths {
		if err := checkFile("", s.display(p), p); err != nil {
			return err
		}
	}
	return nil
}

// withStdinWorkingDir makes the cwd the project directory when every compose
// file is stdin ("-f -"), where compose-go would call os.Getwd.
func (s *session) withStdinWorkingDir(o *cli.ProjectOptions) error {
	if o.WorkingDir != "" {
		return nil
	}
	for _, p := range o.ConfigPaths {
		if p != "-" {
			return nil
		}
	}
	o.WorkingDir = s.cwd
	return nil
}

// checkFiles makes compose file paths absolute and reports, in plain words,
// the files that cannot be read. origin names where the list came from.
func (s *session) checkFiles(origin string, files []string) ([]string, error) {
	out := make([]string, 0, len(files))
	for _, f := range files {
		p := s.abs(f)
		if p != "-" {
			if err := checkFile(origin, f, p); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func checkFile(origin, given, path string) error {
	what := fmt.Sprintf("compose file %q", given)
	if origin != "" {
		what = fmt.Sprintf("compose file %q (from %s)", given, origin)
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s not found", what)
	case err != nil:
		return fmt.Errorf("%s cannot be read: %w", what, pathErr(err))
	case st.IsDir():
		return fmt.Errorf("%s is a directory, not a file", what)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("%s is not readable: permission denied", what)
		}
		return fmt.Errorf("%s cannot be read: %w", what, pathErr(err))
	}
	return f.Close()
}

func checkDir(given, path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("project directory %q not found", given)
	case err != nil:
		return fmt.Errorf("project directory %q: %w", given, err)
	case !st.IsDir():
		return fmt.Errorf("project directory %q is not a directory", given)
	}
	return nil
}
