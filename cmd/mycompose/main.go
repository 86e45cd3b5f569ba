// Command mycompose runs compose projects on a Docker engine.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/mycompose/mycompose/cmd/cli"
	// First of the binary's inits that allocate: see the package.
	_ "github.com/mycompose/mycompose/internal/laxgc"
)

func main() {
	os.Exit(profiled(cli.Main))
}

// profiled runs main with a CPU profile written to $MYCOMPOSE_CPUPROFILE,
// for docs/speed.md's measurements: a command lasts tens of milliseconds,
// so profiles of many runs are merged (go tool pprof a b c ...).
func profiled(main func() int) int {
	path := os.Getenv("MYCOMPOSE_CPUPROFILE")
	if path == "" {
		return main()
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "MYCOMPOSE_CPUPROFILE: %v\n", err)
		return 1
	}
	defer f.Close()
	defer pprof.StopCPUProfile()
	return main()
}
