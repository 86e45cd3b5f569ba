package project

// Watch actions (develop.watch[].action), as Docker Compose names them.
const (
	WatchSync        = "sync"
	WatchRebuild     = "rebuild"
	WatchRestart     = "restart"
	WatchSyncRestart = "sync+restart"
	WatchSyncExec    = "sync+exec"
)

// WatchRule is one develop.watch entry of a service: when a file below Path
// changes (and is not ignored), take Action.
type WatchRule struct {
	// Path is the absolute host path watched (a directory or a file).
	Path   string
	Action string
	// Target is the absolute container path Path maps to (sync actions).
	Target string
	// Ignore and Include are .dockerignore-style patterns relative to Path.
	// A change triggers the rule when it matches no Ignore pattern and, when
	// Include is set, at least one Include pattern.
	Ignore  []string
	Include []string
	// InitialSync copies the whole of Path when watch starts (sync actions).
	InitialSync bool
	// Exec is the command of sync+exec, nil otherwise.
	Exec *WatchExec
}

// WatchExec is the command sync+exec runs in each replica after a sync.
type WatchExec struct {
	Command    []string
	User       string
	Privileged bool
	WorkingDir string
	Env        []string // KEY=VALUE, sorted; added to the container's own
}

// Syncs reports whether the action copies files into the containers.
func (r WatchRule) Syncs() bool {
	switch r.Action {
	case WatchSync, WatchSyncRestart, WatchSyncExec:
		return true
	}
	return false
}
