package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mycompose/mycompose/convergence/dockerengine"
	"github.com/mycompose/mycompose/loader"
)

var completionShells = []string{"bash", "zsh", "fish"}

func newCompletionCommand(deps *Deps) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print the shell completion script for bash, zsh or fish",
		Long: `Print the shell completion script. Commands that take services complete
the service names of the project that the global flags (-f, -p,
--project-directory, --profile, --env-file) and the current directory select.

  bash:  source <(mycompose completion bash)
         (or save it in /etc/bash_completion.d/mycompose)
  zsh:   mycompose completion zsh > "${fpath[1]}/_mycompose"
  fish:  mycompose completion fish > ~/.config/fish/completions/mycompose.fish`,
		ValidArgs:             completionShells,
		DisableFlagsInUseLine: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("completion needs one shell: %s", strings.Join(completionShells, ", "))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(deps.Stdout, true)
			case "zsh":
				return root.GenZshCompletion(deps.Stdout)
			case "fish":
				return root.GenFishCompletion(deps.Stdout, true)
			}
			return usageError{fmt.Errorf("unsupported shell %q: use %s", args[0], strings.Join(completionShells, ", "))}
		},
	}
}

// serviceArgs is how a command takes service names, read off its usage line.
type serviceArgs int

const (
	noServices    serviceArgs = iota
	firstService              // exec SERVICE COMMAND, run, port
	manyServices              // up [SERVICE...], wait SERVICE [SERVICE...]
	serviceScales             // scale SERVICE=REPLICAS...
	scaleFlag                 // up --scale SERVICE=REPLICAS
	serviceFlag               // up --exit-code-from SERVICE
)

func serviceArgsOf(use string) serviceArgs {
	line, _, _ := strings.Cut(use, "\n")
	fields := strings.Fields(line)
	var pos []string
	for _, f := range fields[1:] {
		if f != "[OPTIONS]" {
			pos = append(pos, f)
		}
	}
	switch {
	case len(pos) == 0:
		return noServices
	case strings.HasPrefix(pos[0], "SERVICE="):
		return serviceScales
	case pos[0] == "[SERVICE...]" || pos[0] == "SERVICE..." || len(pos) > 1 && pos[0] == "SERVICE" && pos[1] == "[SERVICE...]":
		return manyServices
	case pos[0] == "SERVICE":
		return firstService
	}
	return noServices
}

// serviceFlags are the flags whose values are services; scaleFlags take SERVICE=N.
var (
	serviceFlags = []string{"attach", "no-attach", "exit-code-from"}
	scaleFlags   = []string{"scale"}
)

// installCompletions makes every command that takes services complete the
// project's service names, and --context the docker contexts.
func installCompletions(root *cobra.Command, deps *Deps, g *globalOptions) {
	_ = root.RegisterFlagCompletionFunc("context", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names, _ := dockerengine.ContextNames(deps.Environ)
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	for _, cmd := range root.Commands() {
		if cmd.ValidArgsFunction == nil {
			switch mode := serviceArgsOf(cmd.Use); mode {
			case firstService, manyServices, serviceScales:
				cmd.ValidArgsFunction = completeServices(deps, g, mode)
			}
		}
		for _, name := range serviceFlags {
			if cmd.Flags().Lookup(name) != nil {
				_ = cmd.RegisterFlagCompletionFunc(name, completeServices(deps, g, serviceFlag))
			}
		}
		for _, name := range scaleFlags {
			if cmd.Flags().Lookup(name) != nil {
				_ = cmd.RegisterFlagCompletionFunc(name, completeServices(deps, g, scaleFlag))
			}
		}
	}
}

type completionFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

// completeServices loads the project with the global flags and offers its
// services (enabled or not: naming a service enables its profile); on any
// error it offers nothing rather than files.
func completeServices(deps *Deps, g *globalOptions, mode serviceArgs) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		if mode == firstService && len(args) > 0 {
			return nil, none
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		p, err := loader.Load(ctx, g.loaderOptions(deps))
		if err != nil {
			return nil, none
		}
		names := append([]string(nil), p.DisabledServices...)
		for _, s := range p.Services {
			names = append(names, s.Name)
		}
		sort.Strings(names)
		taken := map[string]bool{}
		if mode == manyServices || mode == serviceScales {
			for _, a := range args {
				name, _, _ := strings.Cut(a, "=")
				taken[name] = true
			}
		}
		var out []cobra.Completion
		for _, n := range names {
			if taken[n] || !strings.HasPrefix(n, toComplete) {
				continue
			}
			if mode == serviceScales || mode == scaleFlag {
				n += "="
			}
			out = append(out, n)
		}
		if mode == serviceScales || mode == scaleFlag {
			none |= cobra.ShellCompDirectiveNoSpace
		}
		return out, none
	}
}
