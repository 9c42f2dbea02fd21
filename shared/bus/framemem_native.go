//go:build !js

package bus

import "github.com/ipcbus/ipcbus/shared/stream"

// takeFrameMem returns the pooled memory of the frame t read last, or nil
// (a frame in memory of its own, or a transport without a pool).
func takeFrameMem(t Transport) *frameMem {
	s, ok := t.(interface{ TakeBuf() *stream.Buf })
	if !ok {
		return nil
	}
	if b := s.TakeBuf(); b != nil {
		return &frameMem{ref: b}
	}
	return nil
}
