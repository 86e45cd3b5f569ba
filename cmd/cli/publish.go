package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence/dockerengine"
	"github.com/mycompose/mycompose/internal/publish"
	"github.com/mycompose/mycompose/internal/registry"
	"github.com/mycompose/mycompose/loader"
)

type publishOptions struct {
	OCIVersion          string
	ResolveImageDigests bool
	WithEnv             bool
	Yes                 bool
	InsecureRegistry    bool
}

func newPublishCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &publishOptions{}
	cmd := &cobra.Command{
		Use:   "publish [OPTIONS] REPOSITORY[:TAG]",
		Short: "Publish the compose application to a registry as an OCI artifact",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPublish(cmd.Context(), deps, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.OCIVersion, "oci-version", "", "OCI image/artifact specification version: 1.0 or 1.1 (default: 1.1, else 1.0 when the registry refuses it)")
	f.BoolVar(&o.ResolveImageDigests, "resolve-image-digests", false, "pin image tags to digests (an image-digests.yaml layer)")
	f.BoolVar(&o.WithEnv, "with-env", false, "include environment variables and env files in the published artifact")
	f.BoolVarP(&o.Yes, "yes", "y", false, `assume "yes" as answer to all prompts`)
	f.BoolVar(&o.InsecureRegistry, "insecure-registry", false, "reach the registry over plain HTTP")
	return cmd
}

// runPublish packs the compose files as Docker Compose's OCI artifact and
// pushes it, after Docker Compose's checks: services with only a build
// section cannot be published, environment variables need --with-env, and
// bind mount declarations need consent.
func runPublish(ctx context.Context, deps *Deps, g *globalOptions, o *publishOptions, repository string) error {
	if o.OCIVersion != "" && o.OCIVersion != publish.OCI10 && o.OCIVersion != publish.OCI11 {
		return usageError{fmt.Errorf("invalid --oci-version %q: use 1.0 or 1.1", o.OCIVersion)}
	}
	named, err := reference.ParseDockerRef(repository)
	if err != nil {
		return usageError{fmt.Errorf("invalid repository %q: %w", repository, err)}
	}
	if _, ok := named.(reference.Canonical); ok {
		return usageError{fmt.Errorf("invalid repository %q: publish to a tag, not a digest", repository)}
	}
	pp, err := loader.Publishable(ctx, g.loaderOptions(deps))
	if err != nil {
		return err
	}
	if err := publishChecks(deps, pp, o); err != nil {
		return err
	}
	envNames := map[string]string{}
	var layers []publish.Layer
	if o.WithEnv {
		for _, s := range pp.Services {
			for _, f := range s.EnvFiles {
				envNames[f] = publish.EnvFileName(f)
			}
		}
	}
	if layers, err = publish.ComposeFiles(pp.Files, pp.WorkingDir, envNames); err != nil {
		return err
	}
	paths := make([]string, 0, len(envNames))
	for p := range envNames {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := readLimited(p)
		if err != nil {
			continue // as Docker Compose: an unreadable env file is skipped
		}
		layers = append(layers, publish.EnvFileLayer(envNames[p], data))
	}
	if o.ResolveImageDigests {
		eng, err := g.connect(ctx, deps)
		if err != nil {
			return err
		}
		defer eng.Close()
		images := map[string]string{}
		for _, s := range pp.Services {
			if s.Image == "" {
				continue
			}
			if images[s.Name], err = eng.ResolveDigest(ctx, s.Image); err != nil {
				return err
			}
		}
		l, err := publish.DigestsOverride(images)
		if err != nil {
			return err
		}
		layers = append(layers, l)
	}
	if g.DryRun {
		fmt.Fprintln(deps.Stderr, "DRY-RUN MODE: nothing is changed")
		for _, l := range layers {
			name := l.Annotations["com.docker.compose.file"] + l.Annotations["com.docker.compose.envfile"]
			fmt.Fprintf(deps.Stdout, "publish %s %s (%s, %d bytes)\n", named, name, l.MediaType, l.Size)
		}
		return nil
	}
	client := &registry.Client{HTTP: &http.Client{Timeout: 2 * time.Minute}, Credentials: dockerengine.RegistryCredentials(deps.Environ)}
	if o.InsecureRegistry {
		client.Insecure = []string{reference.Domain(named)}
	}
	fmt.Fprintf(deps.Stderr, " Publishing %s\n", named)
	d, err := publish.Push(ctx, client, named.String(), layers, o.OCIVersion, time.Now())
	if err != nil {
		return fmt.Errorf("publish %s: %w", named, err)
	}
	fmt.Fprintf(deps.Stderr, " Published %s@%s\n", named, d)
	return nil
}

// publishChecks are Docker Compose's checks before publishing.
func publishChecks(deps *Deps, pp *loader.PublishProject, o *publishOptions) error {
	var buildOnly []string
	for _, s := range pp.Services {
		if s.Image == "" && s.Build {
			buildOnly = append(buildOnly, fmt.Sprintf("- %q", s.Name))
		}
	}
	if len(buildOnly) > 0 {
		return fmt.Errorf("your Compose stack cannot be published as it only contains a build section for service(s):\n%s\nset an image: for each, built and pushed first (mycompose build --push)", strings.Join(buildOnly, "\n"))
	}
	var binds []string
	for _, s := range pp.Services {
		for _, b := range s.Binds {
			binds = append(binds, fmt.Sprintf("service %q: %s", s.Name, b))
		}
	}
	if len(binds) > 0 && !o.Yes {
		msg := "you are about to publish bind mount declarations within your OCI artifact (the declarations only, not the content):\n" +
			strings.Join(binds, "\n") + "\nplease double check that you are not mounting potential user's sensitive directories or data"
		if err := confirm(deps, msg, "publish these bind mount declarations"); err != nil {
			return err
		}
	}
	var env []string
	for _, s := range pp.Services {
		if len(s.EnvFiles) > 0 {
			env = append(env, fmt.Sprintf("service %q has env_file declared.", s.Name))
		}
		if s.Environment {
			env = append(env, fmt.Sprintf("service %q has environment variable(s) declared.", s.Name))
		}
	}
	for _, c := range pp.EnvConfigs {
		env = append(env, fmt.Sprintf("config %q is declared as an environment variable.", c))
	}
	if len(env) > 0 && !o.WithEnv {
		return fmt.Errorf("%s\nTo avoid leaking sensitive data, you must either explicitly allow the sending of environment variables by using the --with-env flag,\nor remove sensitive data from your Compose configuration", strings.Join(env, "\n"))
	}
	if len(env) > 0 && !o.Yes {
		msg := "you are about to publish environment variables within your OCI artifact:\n" + strings.Join(env, "\n") +
			"\nplease double check that you are not leaking sensitive data"
		return confirm(deps, msg, "publish these environment variables")
	}
	return nil
}

// confirm asks a yes/no question on the terminal; without one it fails,
// naming -y.
func confirm(deps *Deps, msg, what string) error {
	if !isTerminal(deps.Stdin) {
		return fmt.Errorf("%s\nrun again with -y/--yes to %s", msg, what)
	}
	fmt.Fprintf(deps.Stderr, "%s\nAre you ok to %s? [y/N] ", msg, what)
	answer, _ := bufio.NewReader(deps.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("nothing was published")
}

// readLimited reads an env file of at most 1 MiB.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<20))
}
