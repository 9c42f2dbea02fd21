package wire

import (
	"errors"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// The hand-written codecs must agree with msgpack/v5 both ways, so that a
// hub or client using either reads the other.
func TestControlCodecsAgreeWithMsgpack(t *testing.T) {
	proc := Process{Type: ProcessRendererFrame, PID: 4242, RID: 3, WCID: -1, FrameID: 70000, IsMainFrame: true}
	peer := Peer{ID: 1 << 40, Name: "pägé", Process: proc}
	cases := []struct {
		name   string
		value  any
		append func([]byte) []byte
		decode func([]byte) (any, error)
	}{
		{"process", proc, func(b []byte) []byte { return AppendProcess(b, proc) }, func(b []byte) (any, error) { return DecodeProcess(b) }},
		{"bare process", Process{Type: "node", PID: 1}, func(b []byte) []byte { return AppendProcess(b, Process{Type: "node", PID: 1}) }, func(b []byte) (any, error) { return DecodeProcess(b) }},
		{"peer", peer, func(b []byte) []byte { return AppendPeer(b, peer) }, func(b []byte) (any, error) { return DecodePeer(b) }},
		{"peer info", PeerInfo{Name: "", Process: proc}, func(b []byte) []byte { return AppendPeerInfo(b, PeerInfo{Process: proc}) }, func(b []byte) (any, error) { return DecodePeerInfo(b) }},
		{"hello", Hello{Version: 1, Token: "t", Process: proc}, func(b []byte) []byte { return AppendHello(b, Hello{Version: 1, Token: "t", Process: proc}) }, func(b []byte) (any, error) { return DecodeHello(b) }},
		{"welcome", Welcome{Version: 1, MaxFrameBytes: DefaultMaxFrameBytes, PingIntervalMS: 30000, Hub: "h"}, func(b []byte) []byte {
			return AppendWelcome(b, Welcome{Version: 1, MaxFrameBytes: DefaultMaxFrameBytes, PingIntervalMS: 30000, Hub: "h"})
		}, func(b []byte) (any, error) { return DecodeWelcome(b) }},
	}
	for _, tc := range cases {
		ours := tc.append(nil)
		// msgpack/v5 reads ours.
		dst := reflect.New(reflect.TypeOf(tc.value))
		if err := msgpack.Unmarshal(ours, dst.Interface()); err != nil {
			t.Fatalf("%s: msgpack cannot read ours: %v", tc.name, err)
		}
		if !reflect.DeepEqual(dst.Elem().Interface(), tc.value) {
			t.Errorf("%s: msgpack read %+v, want %+v", tc.name, dst.Elem().Interface(), tc.value)
		}
		// We read msgpack/v5's, and our own.
		theirs, err := msgpack.Marshal(tc.value)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{theirs, ours} {
			got, err := tc.decode(b)
			if err != nil {
				t.Fatalf("%s: decode: %v", tc.name, err)
			}
			if !reflect.DeepEqual(got, tc.value) {
				t.Errorf("%s: decoded %+v, want %+v", tc.name, got, tc.value)
			}
		}
	}
}

func TestControlDecodersSkipUnknownKeysAndRefuseGarbage(t *testing.T) {
	b, _ := msgpack.Marshal(map[string]any{"id": 7, "name": "n", "extra": []any{1, map[string]any{"x": nil}}, "process": map[string]any{"type": "node", "pid": 3.0, "future": true}})
	p, err := DecodePeer(b)
	if err != nil || p.ID != 7 || p.Process.PID != 3 {
		t.Fatalf("got %+v, %v", p, err)
	}
	for name, bad := range map[string][]byte{
		"not a map":      {0x91, 0x01},
		"truncated":      b[:len(b)-2],
		"trailing bytes": append(append([]byte{}, b...), 0xc0),
		"bad pid":        mustMarshal(t, map[string]any{"process": map[string]any{"pid": "x"}}),
		"huge pid":       mustMarshal(t, map[string]any{"process": map[string]any{"pid": int64(1) << 40}}),
	} {
		if _, err := DecodePeer(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	if s, err := DecodeString(AppendStr(nil, "")); err != nil || s != "" {
		t.Errorf("empty string: %q, %v", s, err)
	}
	if _, err := DecodeString(mustMarshal(t, 42)); !errors.Is(err, ErrMalformed) {
		t.Errorf("a number as a string: %v", err)
	}
}

func TestAppendIntMatchesMsgpack(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 32, -1, -32, -33, -128, -129, -32768, -32769, -1 << 31, -1<<31 - 1, -1 << 62} {
		var got int64
		if err := msgpack.Unmarshal(AppendInt(nil, v), &got); err != nil || got != v {
			t.Errorf("%d: msgpack read %d, %v", v, got, err)
		}
		n, rest, err := readInt(AppendInt(nil, v))
		if err != nil || n != v || len(rest) != 0 {
			t.Errorf("%d: readInt %d, %v", v, n, err)
		}
	}
}
