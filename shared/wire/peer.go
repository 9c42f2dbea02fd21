package wire

// Process types, as electron-common-ipc names them.
const (
	ProcessMain          = "main"           // Electron's main process
	ProcessRenderer      = "renderer"       // a renderer's page
	ProcessRendererFrame = "renderer-frame" // a frame inside a renderer's page
	ProcessNode          = "node"           // any other process (Go, Node)
)

// Process identifies the process a peer lives in. Zero fields are unknown.
type Process struct {
	Type        string `msgpack:"type" json:"type"`
	PID         int    `msgpack:"pid" json:"pid"`
	RID         int    `msgpack:"rid,omitempty" json:"rid,omitempty"`                 // renderer (routing) id
	WCID        int    `msgpack:"wcid,omitempty" json:"wcid,omitempty"`               // webContents id
	FrameID     int    `msgpack:"frameid,omitempty" json:"frameid,omitempty"`         // frame id inside the renderer
	IsMainFrame bool   `msgpack:"isMainFrame,omitempty" json:"isMainFrame,omitempty"` // the renderer's top page
}

// Matches reports whether p is the process that target names: every
// non-zero field of target must be equal in p.
func (p Process) Matches(target Process) bool {
	return (target.Type == "" || target.Type == p.Type) &&
		(target.PID == 0 || target.PID == p.PID) &&
		(target.RID == 0 || target.RID == p.RID) &&
		(target.WCID == 0 || target.WCID == p.WCID) &&
		(target.FrameID == 0 || target.FrameID == p.FrameID)
}

// Peer is an endpoint of the bus: a client with its own listeners. Several
// peers may share one connection. The hub assigns ids, unique for its life.
type Peer struct {
	ID      uint64  `msgpack:"id" json:"id"`
	Name    string  `msgpack:"name" json:"name"`
	Process Process `msgpack:"process" json:"process"`
}

// PeerInfo is the body of peer.add: what a client says of a new peer.
// A zero Process takes the connection's process from Hello.
type PeerInfo struct {
	Name    string  `msgpack:"name"`
	Process Process `msgpack:"process"`
}

// Target restricts a send or request to one peer, or to every peer of a
// process. The zero Target is every listener.
type Target struct {
	Peer    uint64   // a peer id, or 0
	Process *Process // when Peer is 0: every peer whose process matches
}

// IsZero reports whether t targets every listener.
func (t Target) IsZero() bool { return t.Peer == 0 && t.Process == nil }

// Hello is the body of the first frame a client sends.
type Hello struct {
	Version int     `msgpack:"version"`
	Token   string  `msgpack:"token,omitempty"`
	Process Process `msgpack:"process"`
}

// Welcome is the hub's answer to Hello.
type Welcome struct {
	Version        int    `msgpack:"version"`
	MaxFrameBytes  int    `msgpack:"maxFrameBytes"`
	PingIntervalMS int64  `msgpack:"pingIntervalMs"`
	Hub            string `msgpack:"hub,omitempty"` // the hub's name, for logs
}
