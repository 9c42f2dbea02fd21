// Package raw is the ceiling the bench measures against: length-prefixed
// frames over a Unix socket or TCP, sent directly between two processes or
// through a minimal relay that reads each frame and writes it on.
//
// A frame is a 4-byte big-endian length and a body. The body starts with
// a one-byte destination mask (bit i: worker i), which is all the relay
// reads; the rest is for the endpoints: source id, kind, channel length,
// channel, for requests and answers an 8-byte id, then the payload.
package raw

import (
	"encoding/binary"
	"errors"
)

// Frame kinds.
const (
	KindMsg    = 1
	KindReq    = 2
	KindAnswer = 3
)

// MaxFrame bounds the frames read; like ipcbus's default frame limit.
const MaxFrame = 16 << 20

// MaxRoutedID is the highest worker id that can receive frames; a
// connection that announces a higher id (an idle or connect-time probe)
// only sends.
const MaxRoutedID = 7

// Header is a frame's routing and addressing, before the payload.
type Header struct {
	Mask    uint8
	Src     uint8
	Kind    uint8
	Channel string
	ID      uint64 // requests and answers
}

// AppendHeader appends h's encoding to b.
func AppendHeader(b []byte, h *Header) []byte {
	b = append(b, h.Mask, h.Src, h.Kind, uint8(len(h.Channel)))
	b = append(b, h.Channel...)
	if h.Kind != KindMsg {
		b = binary.BigEndian.AppendUint64(b, h.ID)
	}
	return b
}

var errShort = errors.New("raw: short frame")

// Parse splits a frame body into its header and payload (which aliases
// body).
func Parse(body []byte) (Header, []byte, error) {
	var h Header
	if len(body) < 4 {
		return h, nil, errShort
	}
	h.Mask, h.Src, h.Kind = body[0], body[1], body[2]
	n := int(body[3])
	body = body[4:]
	if len(body) < n {
		return h, nil, errShort
	}
	h.Channel, body = string(body[:n]), body[n:]
	if h.Kind != KindMsg {
		if len(body) < 8 {
			return h, nil, errShort
		}
		h.ID, body = binary.BigEndian.Uint64(body), body[8:]
	}
	return h, body, nil
}

// MaskOf returns the destination mask of worker ids.
func MaskOf(ids ...int) uint8 {
	var m uint8
	for _, id := range ids {
		if id >= 0 && id <= MaxRoutedID {
			m |= 1 << id
		}
	}
	return m
}
