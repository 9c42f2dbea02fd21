package wire

import (
	"bytes"
	"testing"
)

// FuzzDecode checks that no input makes Decode panic, and that whatever it
// accepts encodes back to a frame that decodes the same.
func FuzzDecode(f *testing.F) {
	for _, fr := range validFrames(f) {
		b, err := Append(nil, &fr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Append(nil, &fr)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		fr2, err := Decode(again)
		if err != nil {
			t.Fatalf("decode of re-encoding: %v", err)
		}
		if fr2.Kind != fr.Kind || fr2.Channel != fr.Channel || fr2.ID != fr.ID || !bytes.Equal(fr2.Body, fr.Body) || !bytes.Equal(fr2.Sender, fr.Sender) {
			t.Fatalf("unstable: %+v vs %+v", fr, fr2)
		}
	})
}
