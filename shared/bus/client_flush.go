package bus

import (
	"context"
	"fmt"
)

// Flush waits until the hub has processed every frame the client queued
// before it: the subscriptions of listeners added before Flush are in
// place, so a Send from another peer after Flush returns reaches them, and
// the sends made before it have been routed. ctx bounds the wait.
func (cl *Client) Flush(ctx context.Context) error {
	switch cl.Status() {
	case StatusClosed:
		return fmt.Errorf("ipcbus: flush: %w", ErrClosed)
	case StatusConnected:
		return cl.conn.Flush(ctx)
	}
	return fmt.Errorf("ipcbus: flush: %w", ErrNotConnected)
}
