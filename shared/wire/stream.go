package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// FrameHeaderLen is the size of the length prefix of a frame on a stream.
const FrameHeaderLen = 4

// ReadStreamFrame reads one length-prefixed frame from r into buf (grown as
// needed) and returns it. A frame longer than max is not read: the error
// wraps ErrFrameTooLarge and the stream is left unusable.
func ReadStreamFrame(r io.Reader, buf []byte, max int) ([]byte, error) {
	var h [FrameHeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, max)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// AppendStreamHeader appends the length prefix of a frame of n bytes.
func AppendStreamHeader(b []byte, n int) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(n))
}
