// Command mycompose runs compose projects on a Docker engine.
package main

import (
	"os"

	"github.com/mycompose/mycompose/cmd/cli"
	// First of the binary's inits that allocate: see the package.
	_ "github.com/mycompose/mycompose/internal/laxgc"
)

func main() {
	os.Exit(cli.Main())
}
