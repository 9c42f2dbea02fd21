package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validFrames is one frame of every kind, as the protocol uses them; it also
// seeds the fuzz test.
func validFrames(t testing.TB) []Frame {
	sender := mustMarshal(t, Peer{ID: 7, Name: "n", Process: Process{Type: ProcessNode, PID: 42}})
	args := mustMarshal(t, []any{true, 45698, "héllo", []byte{1, 2}, map[string]any{"a": nil}})
	return []Frame{
		{Kind: KindHello, Body: mustMarshal(t, Hello{Version: Version, Token: "t", Process: Process{Type: ProcessNode, PID: 1}})},
		{Kind: KindWelcome, ID: 3, Body: mustMarshal(t, Welcome{Version: Version, MaxFrameBytes: DefaultMaxFrameBytes})},
		{Kind: KindPeerAdd, ID: 1, Body: mustMarshal(t, PeerInfo{Name: "p"})},
		{Kind: KindPeerAdded, ID: 1, Peer: 7, Body: sender},
		{Kind: KindPeerRemove, Peer: 7},
		{Kind: KindSubscribe, Channel: "greeting", Peer: 7},
		{Kind: KindUnsubscribe, Channel: "greeting", Peer: 7},
		{Kind: KindSend, Channel: "greeting", Peer: 7, Body: args},
		{Kind: KindSend, Channel: "greeting", Peer: 7, To: Target{Peer: 9}, Body: args},
		{Kind: KindRequest, Channel: "q", Peer: 7, ID: 1 << 40, To: Target{Process: &Process{PID: 5}}, Body: args},
		{Kind: KindResponse, Peer: 7, ID: 12, Code: uint16(StatusRejected), Body: mustMarshal(t, "no")},
		{Kind: KindCancel, ID: 12},
		{Kind: KindMessage, Channel: "greeting", Sender: sender, Body: args},
		{Kind: KindPing, ID: 1},
		{Kind: KindPong, ID: 1},
		{Kind: KindClose, Code: uint16(CloseSlowConsumer), Body: mustMarshal(t, "too slow")},
		{Kind: KindSend, Channel: "ports", Peer: 7, Ports: []uint64{1, 2}, Body: args},
		{Kind: KindMessage, Channel: "ports", Sender: sender, Ports: []uint64{PortRelayBit | 9}, Body: args},
		{Kind: KindPortMessage, ID: PortRelayBit | 9, Body: mustMarshal(t, map[string]any{"n": 1})},
		{Kind: KindPortClose, ID: 1},
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, f := range validFrames(t) {
		b, err := Append(nil, &f)
		if err != nil {
			t.Fatalf("%v: %v", f.Kind, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%v: decode: %v", f.Kind, err)
		}
		if !reflect.DeepEqual(got, f) {
			t.Errorf("%v: round trip\n got %+v\nwant %+v", f.Kind, got, f)
		}
	}
}

func TestDecodeRejectsBadFrames(t *testing.T) {
	good, _ := Append(nil, &Frame{Kind: KindSend, Channel: "c", Peer: 1, Body: mustMarshal(t, []any{1})})
	cases := map[string][]byte{
		"empty":          {},
		"not an array":   mustMarshal(t, "hello"),
		"too few fields": mustMarshal(t, []any{8, "c"}),
		"unknown kind":   append([]byte{0x99, 99}, good[2:]...),
		"kind zero":      append([]byte{0x99, 0}, good[2:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(append([]byte{}, good...), 0xc0),
		"bad utf8":       {0x99, 8, 0xa2, 0xff, 0xfe, 1, 0xc0, 0, 0, 0xc0, 0xc0, 0xc0},
		"negative peer":  {0x99, 8, 0xa1, 'c', 0xd0, 0xff, 0xc0, 0, 0, 0xc0, 0xc0, 0xc0},
		"huge array len": {0x99, 8, 0xa1, 'c', 1, 0xc0, 0, 0, 0xc0, 0xc0, 0xdd, 0xff, 0xff, 0xff, 0xff},
		"reserved code":  {0x99, 8, 0xa1, 'c', 1, 0xc0, 0, 0, 0xc0, 0xc0, 0xc1},
		"ports not uint": {0x99, 8, 0xa1, 'c', 1, 0xc0, 0, 0, 0xc0, 0x91, 0xa1, 'x', 0xc0},
	}
	for name, b := range cases {
		if _, err := Decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
}

func TestValueLenMatchesMsgpack(t *testing.T) {
	values := []any{
		nil, true, false, 0, -1, -45698, 45698, 12302.23, float32(1.5), int64(-99999999999999),
		uint64(99999999999999), "", strings.Repeat("x", 70000), "日本語", []byte{}, bytes.Repeat([]byte{9}, 300),
		[]any{1, "a", nil, []any{map[string]any{"k": []any{}}}}, map[string]any{"a": 1, "b": map[string]any{"c": nil}},
	}
	for _, v := range values {
		b := mustMarshal(t, v)
		n, err := valueLen(append(b, 0xc0))
		if err != nil || n != len(b) {
			t.Errorf("%T: valueLen = %d, %v; want %d", v, n, err, len(b))
		}
	}
}

func TestStreamFraming(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(AppendStreamHeader(nil, 3))
	buf.WriteString("abc")
	buf.Write(AppendStreamHeader(nil, 100))
	got, err := ReadStreamFrame(&buf, nil, 10)
	if err != nil || string(got) != "abc" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := ReadStreamFrame(&buf, nil, 10); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized: got %v, want ErrFrameTooLarge", err)
	}
}

func TestCloseCodesSayWhetherToReconnect(t *testing.T) {
	if !CloseShutdown.Reconnect() || !CloseSlowConsumer.Reconnect() {
		t.Error("shutdown and slow consumer should reconnect")
	}
	if CloseProtocolError.Reconnect() || CloseUnauthorized.Reconnect() || CloseNormal.Reconnect() {
		t.Error("protocol error, unauthorized and normal close are terminal")
	}
	err := &CloseError{Code: CloseSlowConsumer, Reason: "queue full"}
	if got := err.Error(); !strings.Contains(got, "slow consumer") || !strings.Contains(got, "queue full") {
		t.Errorf("CloseError text %q", got)
	}
}

func TestDecoderInternsChannels(t *testing.T) {
	b, _ := Append(nil, &Frame{Kind: KindSend, Channel: "a/channel", Peer: 7, Body: mustMarshal(t, []any{1})})
	var d Decoder
	want, _ := Decode(b)
	got, err := d.Decode(b)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Decoder.Decode = %+v, %v; want %+v", got, err, want)
	}
	if n := testing.AllocsPerRun(100, func() { d.Decode(b) }); n != 0 {
		t.Errorf("decoding a frame on a known channel allocates %v times", n)
	}
}
