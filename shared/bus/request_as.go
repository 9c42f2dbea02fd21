//go:build !js

package bus

import (
	"context"
	"fmt"
)

// RequestAs sends a request as Client.Request does and decodes the answer
// into a T, as CallAs does for a service's answer.
//
//	n, err := bus.RequestAs[int](ctx, c, "math/add", 2, 3)
func RequestAs[T any](ctx context.Context, c *Client, channel string, args ...any) (T, error) {
	var v T
	resp, err := c.Request(ctx, channel, args...)
	if err != nil {
		return v, err
	}
	if err := resp.Decode(&v); err != nil {
		return v, fmt.Errorf("ipcbus: request on %q: answer: %w", channel, err)
	}
	return v, nil
}
