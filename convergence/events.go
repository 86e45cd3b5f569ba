package convergence

// EventStatus is the state change an Event reports, in Docker Compose's
// words, which the UIs (plain, json, the live view) print as they are. It is
// an alias of string so that UIs keep handling Event.Status as a string;
// the pipeline only ever emits the constants below.
type EventStatus = string

// Event statuses.
const (
	StatusCreating  EventStatus = "Creating"
	StatusCreated   EventStatus = "Created"
	StatusRecreate  EventStatus = "Recreate"
	StatusRecreated EventStatus = "Recreated"
	StatusStarting  EventStatus = "Starting"
	StatusStarted   EventStatus = "Started"
	StatusStopping  EventStatus = "Stopping"
	StatusStopped   EventStatus = "Stopped"
	StatusRemoving  EventStatus = "Removing"
	StatusRemoved   EventStatus = "Removed"
	StatusRenamed   EventStatus = "Renamed"
	StatusWaiting   EventStatus = "Waiting"
	StatusHealthy   EventStatus = "Healthy"
	StatusExited    EventStatus = "Exited"
	StatusBuilding  EventStatus = "Building"
	StatusBuilt     EventStatus = "Built"
	StatusPulling   EventStatus = "Pulling"
	StatusPulled    EventStatus = "Pulled"
	StatusPushing   EventStatus = "Pushing"
	StatusPushed    EventStatus = "Pushed"
	StatusWarning   EventStatus = "Warning"
	StatusError     EventStatus = "Error"
)

// Event objects.
const (
	ObjectContainer = "Container"
	ObjectNetwork   = "Network"
	ObjectVolume    = "Volume"
	ObjectImage     = "Image"
)
