//go:build !js

package bus

import (
	"context"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// A send whose last argument is a large []byte writes it from the
// caller's memory, with no copy: Send returns once it is written (or the
// connection is lost), so that the caller may then reuse the memory, as
// with a copy. While the client is reconnecting it is copied into the
// buffer as any send is.

// borrowMin is the size from which a send's last []byte argument is
// written from the caller's memory.
const borrowMin = 64 << 10

// borrowable returns the last argument when it is a []byte of at least
// borrowMin bytes, or nil.
func borrowable(args []any) []byte {
	if len(args) == 0 {
		return nil
	}
	if b, ok := args[len(args)-1].([]byte); ok && len(b) >= borrowMin {
		return b
	}
	return nil
}

// borrowedArgs encodes args but their last one, tail: the args array up
// to tail's bytes, which are to follow.
func borrowedArgs(args []any, tail []byte) ([]byte, error) {
	head, err := appendValues(wire.AppendArrayLen(nil, len(args)), args[:len(args)-1])
	if err != nil {
		return nil, err
	}
	return wire.AppendBinHeader(head, len(tail)), nil
}

// sendBorrowed sends args, whose last one is tail, writing tail from where
// it is.
func (cl *Client) sendBorrowed(ctx context.Context, to Target, channel string, args []any, tail []byte) error {
	head, err := borrowedArgs(args, tail)
	if err != nil {
		return err
	}
	f, err := cl.frameOf(wire.KindSend, to, channel, 0, nil, head, tail)
	if err != nil {
		return err
	}
	return cl.conn.pushFrom(ctx, cl, f, true)
}
