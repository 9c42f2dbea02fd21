package wire

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// FuzzCheckValue checks that CheckValue never panics, and that whatever it
// accepts a generic msgpack decode reads without error and within the
// budget.
func FuzzCheckValue(f *testing.F) {
	for _, fr := range validFrames(f) {
		f.Add(fr.Body)
	}
	f.Add(nested(MaxDepth))
	f.Add(nested(MaxDepth + 1))
	f.Add(wide(1000, []byte{0x80}))
	f.Add(wide(100, []byte{0x81, 0xa1, 'k', 0x90}))
	f.Add([]byte{0xd6, 0xff, 0, 0, 0, 1})
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if CheckValue(b) != nil {
			return
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := genericDecode(b)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatalf("accepted, but decoding fails: %v", err)
		}
		// The decoder's own state (a pooled decoder, a bytes.Reader) is not
		// the payload's: 4 KiB of slack for it.
		if got, limit := int64(after.TotalAlloc-before.TotalAlloc), DecodeBudget(len(b))+4<<10; got > limit {
			t.Fatalf("accepted %d bytes whose decode allocated %d bytes (estimate %d, limit %d)", len(b), got, DecodeCost(b), limit)
		}
	})
}

// genericDecode decodes b as the client engine does: maps as
// map[string]any whatever their keys.
func genericDecode(b []byte) (any, error) {
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) {
		n, err := d.DecodeMapLen()
		if err != nil || n == -1 {
			return nil, err
		}
		m := make(map[string]any, n)
		for range n {
			k, err := d.DecodeInterface()
			if err != nil {
				return nil, err
			}
			v, err := d.DecodeInterface()
			if err != nil {
				return nil, err
			}
			if s, ok := k.(string); ok {
				m[s] = v
			} else {
				m[fmt.Sprint(k)] = v
			}
		}
		return m, nil
	})
	return dec.DecodeInterface()
}

// FuzzControl checks that the hand-written decoders of the protocol's own
// structures never panic, and that what they accept encodes back to a
// value they decode the same.
func FuzzControl(f *testing.F) {
	proc := Process{Type: ProcessRendererFrame, PID: 4242, RID: 3, WCID: -1, FrameID: 7, IsMainFrame: true}
	f.Add(AppendHello(nil, Hello{Version: Version, Token: "t", Process: proc}))
	f.Add(AppendWelcome(nil, Welcome{Version: Version, MaxFrameBytes: DefaultMaxFrameBytes, PingIntervalMS: 30000, Hub: "h"}))
	f.Add(AppendPeer(nil, Peer{ID: 1 << 40, Name: "pägé", Process: proc}))
	f.Add(AppendPeerInfo(nil, PeerInfo{Name: "p", Process: proc}))
	f.Add(AppendProcess(nil, proc))
	f.Add(AppendStr(nil, "a reason"))
	f.Add([]byte{0x81, 0xa7, 'p', 'r', 'o', 'c', 'e', 's', 's', 0x81, 0xa3, 'p', 'i', 'd', 0xcb, 0x41, 0xe0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := DecodeHello(b); err == nil {
			if again, err := DecodeHello(AppendHello(nil, h)); err != nil || again != h {
				t.Fatalf("hello %+v: round trip %+v, %v", h, again, err)
			}
		}
		if w, err := DecodeWelcome(b); err == nil {
			if again, err := DecodeWelcome(AppendWelcome(nil, w)); err != nil || again != w {
				t.Fatalf("welcome %+v: round trip %+v, %v", w, again, err)
			}
		}
		if p, err := DecodePeer(b); err == nil {
			if again, err := DecodePeer(AppendPeer(nil, p)); err != nil || again != p {
				t.Fatalf("peer %+v: round trip %+v, %v", p, again, err)
			}
		}
		if p, err := DecodePeerInfo(b); err == nil {
			if again, err := DecodePeerInfo(AppendPeerInfo(nil, p)); err != nil || again != p {
				t.Fatalf("peer info %+v: round trip %+v, %v", p, again, err)
			}
		}
		if p, err := DecodeProcess(b); err == nil {
			if again, err := DecodeProcess(AppendProcess(nil, p)); err != nil || again != p {
				t.Fatalf("process %+v: round trip %+v, %v", p, again, err)
			}
		}
		if s, err := DecodeString(b); err == nil && len(b) > 0 {
			if again, err := DecodeString(AppendStr(nil, s)); err != nil || again != s {
				t.Fatalf("string %q: round trip %q, %v", s, again, err)
			}
		}
	})
}
