package cli

import "github.com/spf13/cobra"

// newCreateCommand is `up --no-start`: it converges the containers (and
// their networks and volumes) without starting them.
func newCreateCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &upOptions{Detach: true, NoStart: true, ResolveImage: "always"} // create has no --resolve-image: not a Swarm deploy
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [SERVICE...]",
		Short: "Create containers for a service",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Scale, "scale", nil, "scale SERVICE to NUM instances (SERVICE=NUM); overrides scale and deploy.replicas")
	f.BoolVar(&o.ForceRecreate, "force-recreate", false, "recreate containers even if their configuration and image have not changed")
	f.BoolVar(&o.NoRecreate, "no-recreate", false, "if containers already exist, do not recreate them")
	f.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "remove containers for services not defined in the compose file")
	return cmd
}
