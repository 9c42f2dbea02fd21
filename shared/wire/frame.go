package wire

import "unicode/utf8"

const frameFields = 9

// Frame is one protocol message. Channel, Sender and Body alias the buffer
// a frame was decoded from; copy them to keep them past that buffer's life.
type Frame struct {
	Kind    Kind
	Channel string
	Peer    uint64
	To      Target
	ID      uint64
	Code    uint16
	Sender  []byte   // raw msgpack Peer, set by the hub on message and response
	Ports   []uint64 // MessagePorts transferred with a send or message
	Body    []byte   // raw msgpack value, nil when absent
}

// AppendHeader appends every field of f but the body, which the caller
// appends next (already encoded, or with AppendBody). Splitting the two
// lets a router reuse the payload bytes it received.
func AppendHeader(b []byte, f *Frame) ([]byte, error) {
	b = appendArrayLen(b, frameFields)
	b = appendUint(b, uint64(f.Kind))
	b = appendString(b, f.Channel)
	b = appendUint(b, f.Peer)
	switch {
	case f.To.Peer != 0:
		b = appendUint(b, f.To.Peer)
	case f.To.Process != nil:
		b = AppendProcess(b, *f.To.Process)
	default:
		b = appendNil(b)
	}
	b = appendUint(b, f.ID)
	b = appendUint(b, uint64(f.Code))
	b = appendRaw(b, f.Sender)
	if len(f.Ports) == 0 {
		b = appendNil(b)
	} else {
		b = appendArrayLen(b, len(f.Ports))
		for _, p := range f.Ports {
			b = appendUint(b, p)
		}
	}
	return b, nil
}

// Append appends the encoding of f, body included, to b.
func Append(b []byte, f *Frame) ([]byte, error) {
	b, err := AppendHeader(b, f)
	if err != nil {
		return nil, err
	}
	return appendRaw(b, f.Body), nil
}

// Decode parses one frame. Raw values alias b. It checks that the frame
// has the v1 layout, that its kind is known, that Sender and Body are
// complete msgpack values and that nothing follows them.
func Decode(b []byte) (Frame, error) { return decode(b, nil) }

// A Decoder decodes frames as Decode does, and interns the channel names it
// meets, so that a reader decoding many frames on a few channels does not
// allocate a string for each. The zero value is ready; it is for one
// goroutine.
type Decoder struct {
	names map[string]string
}

// maxInterned bounds the channel names a Decoder keeps.
const maxInterned = 4096

// Decode parses one frame (see the package-level Decode).
func (d *Decoder) Decode(b []byte) (Frame, error) { return decode(b, d) }

func (d *Decoder) intern(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.names == nil {
		d.names = make(map[string]string)
	}
	if len(d.names) < maxInterned {
		d.names[s] = s
	}
	return s
}

func decode(b []byte, d *Decoder) (Frame, error) {
	var f Frame
	n, rest, err := readArrayLen(b)
	if err != nil {
		return f, err
	}
	if n != frameFields {
		return f, malformed("want %d fields, got %d", frameFields, n)
	}
	var u uint64
	if u, rest, err = readUint(rest); err != nil {
		return f, err
	}
	if u > 255 || !Kind(u).Valid() {
		return f, malformed("unknown frame kind %d", u)
	}
	f.Kind = Kind(u)
	var ch []byte
	if ch, rest, err = readStr(rest); err != nil {
		return f, err
	}
	if !utf8.Valid(ch) {
		return f, malformed("channel is not UTF-8")
	}
	if d != nil && len(ch) > 0 {
		f.Channel = d.intern(ch)
	} else {
		f.Channel = string(ch)
	}
	if f.Peer, rest, err = readUint(rest); err != nil {
		return f, err
	}
	if rest, err = decodeTarget(rest, &f.To); err != nil {
		return f, err
	}
	if f.ID, rest, err = readUint(rest); err != nil {
		return f, err
	}
	if u, rest, err = readUint(rest); err != nil {
		return f, err
	}
	if u > 0xffff {
		return f, malformed("code %d out of range", u)
	}
	f.Code = uint16(u)
	if f.Sender, rest, err = readRaw(rest); err != nil {
		return f, err
	}
	if rest, err = decodePorts(rest, &f.Ports); err != nil {
		return f, err
	}
	if f.Body, rest, err = readRaw(rest); err != nil {
		return f, err
	}
	if len(rest) != 0 {
		return f, malformed("%d bytes after the frame", len(rest))
	}
	return f, nil
}

// MaxPortsPerFrame bounds the ports one frame may transfer.
const MaxPortsPerFrame = 64

func decodePorts(b []byte, ports *[]uint64) ([]byte, error) {
	if len(b) > 0 && b[0] == 0xc0 {
		return b[1:], nil
	}
	n, rest, err := readArrayLen(b)
	if err != nil {
		return nil, err
	}
	if n > MaxPortsPerFrame {
		return nil, malformed("%d ports in one frame (limit %d)", n, MaxPortsPerFrame)
	}
	if n == 0 {
		return rest, nil
	}
	out := make([]uint64, n)
	for i := range out {
		if out[i], rest, err = readUint(rest); err != nil {
			return nil, err
		}
	}
	*ports = out
	return rest, nil
}

func decodeTarget(b []byte, t *Target) ([]byte, error) {
	if len(b) == 0 {
		return nil, malformed("want a target, got end of frame")
	}
	c := b[0]
	if c&0xf0 == 0x80 || c == 0xde || c == 0xdf { // a map: a process
		raw, rest, err := readRaw(b)
		if err != nil {
			return nil, err
		}
		p, err := DecodeProcess(raw)
		if err != nil {
			return nil, err
		}
		t.Process = &p
		return rest, nil
	}
	v, rest, err := readUint(b)
	if err != nil {
		return nil, err
	}
	t.Peer = v
	return rest, nil
}

// ValidChannel reports whether ch can name a channel: non-empty, UTF-8, at
// most MaxChannelBytes.
func ValidChannel(ch string) bool {
	return ch != "" && len(ch) <= MaxChannelBytes && utf8.ValidString(ch)
}
