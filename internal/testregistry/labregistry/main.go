// Command labregistry runs the test registry (CNCF Distribution, as
// internal/testregistry configures it) as a long-lived server: the Swarm
// lab (scripts/swarm-lab.sh) runs it, statically linked, in a container on
// the lab network so that the nodes pull from it as they would from a real
// registry. With REGISTRY_USER and REGISTRY_PASSWORD set it requires basic
// auth (htpasswd) for every request.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mycompose/mycompose/internal/testregistry"
)

func main() {
	addr := flag.String("addr", ":5000", "address to listen on")
	dir := flag.String("dir", "/var/lib/registry", "storage directory")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "labregistry:", err)
		os.Exit(1)
	}
	r, err := testregistry.Run(*dir, testregistry.Options{
		Listen: *addr, User: os.Getenv("REGISTRY_USER"), Password: os.Getenv("REGISTRY_PASSWORD"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "labregistry:", err)
		os.Exit(1)
	}
	fmt.Printf("labregistry: listening on %s (auth: %t)\n", r.Addr, os.Getenv("REGISTRY_USER") != "")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	r.Stop()
}
