package loader

import "errors"

// ErrNoConfigFile is Load's error when no compose file was named and none
// of the default names exists in the directory or its parents; commands
// that can work from labels alone (down, ps, logs) fall back to -p then.
var ErrNoConfigFile = errors.New("no configuration file provided")
