// Command mycompose runs compose projects on a Docker engine.
package main

import (
	"os"

	"github.com/mycompose/mycompose/cmd/cli"
)

func main() { os.Exit(cli.Main()) }
