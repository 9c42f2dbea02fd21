package bus

// Status is the state of a Conn, or of a Client on it.
type Status int32

// Conn and Client states. A Conn goes from Idle through Connecting to
// Connected; when it loses its hub and may reconnect (see
// Options.Redial), it is Disconnected while it waits before an attempt and
// Reconnecting during one, then Connected again, or Closed for good. Its
// Clients are Reconnecting for the whole outage.
const (
	StatusIdle Status = iota
	StatusConnecting
	StatusConnected
	StatusClosed
	StatusDisconnected
	StatusReconnecting
)

func (s Status) String() string {
	switch s {
	case StatusIdle:
		return "IDLE"
	case StatusConnecting:
		return "CONNECTING"
	case StatusConnected:
		return "CONNECTED"
	case StatusClosed:
		return "CLOSED"
	case StatusDisconnected:
		return "DISCONNECTED"
	case StatusReconnecting:
		return "RECONNECTING"
	}
	return "UNKNOWN"
}

// Name is the status as bindings show it: "idle", "connecting",
// "connected", "disconnected", "reconnecting" or "closed".
func (s Status) Name() string {
	switch s {
	case StatusIdle:
		return "idle"
	case StatusConnecting:
		return "connecting"
	case StatusConnected:
		return "connected"
	case StatusClosed:
		return "closed"
	case StatusDisconnected:
		return "disconnected"
	case StatusReconnecting:
		return "reconnecting"
	}
	return "unknown"
}

// outage reports whether s is a lost connection that may come back:
// sends and requests are buffered then.
func (s Status) outage() bool { return s == StatusDisconnected || s == StatusReconnecting }

// StatusChange is what Options.OnStatus gets at each change of a Conn's
// status once it first connected.
type StatusChange struct {
	Status Status
	// Err is the reason: for StatusDisconnected why the connection was
	// lost (a *wire.CloseError when the hub gave one); for
	// StatusReconnecting the previous attempt's failure, or the loss; for
	// StatusClosed why the connection ended (as Conn.Err). Nil for
	// StatusConnected.
	Err error
	// Attempt counts the reconnect attempts of this outage: 1 for the
	// first StatusReconnecting, and on StatusConnected the attempt that
	// succeeded (0 for the first connect).
	Attempt int
}
