package hub

import (
	"slices"
	"strconv"
	"strings"
)

// maxLoggedPeers bounds the peers a log line names.
const maxLoggedPeers = 8

// peersLabelLocked names the peers of c for a log line, in the order they
// joined: "name#id(type pid N)", at most maxLoggedPeers, then "+N more".
// h.router.mu is held.
func peersLabelLocked(c *conn) string {
	if len(c.peers) == 0 {
		return ""
	}
	ids := make([]uint64, 0, len(c.peers))
	for id := range c.peers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	for i, id := range ids {
		if i == maxLoggedPeers {
			b.WriteString(", +" + strconv.Itoa(len(ids)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		p := c.peers[id].info
		b.WriteString(p.Name + "#" + strconv.FormatUint(p.ID, 10) + "(" + p.Process.Type)
		if p.Process.PID != 0 {
			b.WriteString(" pid " + strconv.Itoa(p.Process.PID))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// peerAttrs are the log attributes that name a peer.
func peerAttrs(p *peer) []any {
	return []any{"conn", p.c.id, "peer", p.info.ID, "name", p.info.Name, "process", p.info.Process.Type, "pid", p.info.Process.PID}
}
