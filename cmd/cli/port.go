package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

type portOptions struct {
	Protocol string
	Index    int
}

func newPortCommand(deps *Deps, g *globalOptions) *cobra.Command {
	o := &portOptions{}
	cmd := &cobra.Command{
		Use:   "port [OPTIONS] SERVICE PRIVATE_PORT",
		Short: "Print the public port for a port binding",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPort(cmd.Context(), deps, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Protocol, "protocol", "tcp", "tcp or udp")
	f.IntVar(&o.Index, "index", 0, "index of the container if the service has multiple replicas (default 1)")
	return cmd
}

// runPort prints "ip:port" of the host binding of a container port,
// preferring the IPv4 binding when the engine made one per family.
func runPort(ctx context.Context, deps *Deps, g *globalOptions, o *portOptions, args []string) error {
	service := args[0]
	port, err := strconv.ParseUint(args[1], 10, 16)
	if err != nil {
		return usageError{fmt.Errorf("invalid port %q: use a container port number, for example 80", args[1])}
	}
	t, c, err := g.replica(ctx, deps, service, o.Index)
	if err != nil {
		return err
	}
	defer t.eng.Close()
	found := ""
	var published []string
	for _, p := range c.Ports {
		if p.PublicPort != 0 {
			published = append(published, fmt.Sprintf("%d/%s", p.PrivatePort, p.Type))
		}
		if p.PrivatePort != uint16(port) || p.Type != o.Protocol || p.PublicPort == 0 {
			continue
		}
		addr := p.IP + ":" + strconv.Itoa(int(p.PublicPort))
		if strings.Contains(p.IP, ":") {
			addr = "[" + p.IP + "]:" + strconv.Itoa(int(p.PublicPort))
		}
		if found == "" || !strings.Contains(p.IP, ":") && strings.HasPrefix(found, "[") {
			found = addr
		}
	}
	if found == "" {
		return fmt.Errorf("no port %d/%s published for container %q (published: %s)", port, o.Protocol, c.Name, orNone(published))
	}
	fmt.Fprintln(deps.Stdout, found)
	return nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
