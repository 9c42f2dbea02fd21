//go:build !linux

package hub

// parker: without epoll, connections are never parked; an idle one keeps
// its reader goroutine.
type parker struct{}

func newParker() *parker                    { return nil }
func (p *parker) park(c *conn) bool         { return false }
func (p *parker) unpark(c *conn)            {}
func (p *parker) loop(quit <-chan struct{}) {}
