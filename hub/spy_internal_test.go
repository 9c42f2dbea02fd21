package hub

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
)

func TestMatchChannel(t *testing.T) {
	for _, c := range []struct {
		pattern, channel string
		want             bool
	}{
		{"/app/*/in", "/app/x/in", true},
		{"/app/*/in", "/app/x/y/in", false},
		{"/app/*/in", "/app/in", false},
		{"/app/**", "/app/x", true},
		{"/app/**", "/app/x/y/z", true},
		{"/app/**", "/app", true},
		{"/app/**", "/apps/x", false},
		{"/app/**/in", "/app/in", true},
		{"/app/**/in", "/app/a/b/in", true},
		{"/app/**/in", "/app/a/b/out", false},
		{"**", "anything/at/all", true},
		{"**/in", "a/in", true},
		{"a/**/b/**/c", "a/x/b/y/z/c", true},
		{"a/**/b/**/c", "a/x/c/b", false},
		{"svc-*", "svc-calc", true},
		{"svc-*", "svc/calc", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	} {
		f, err := newSpyFilter(wire.SpyFilter{Channels: []string{c.pattern}})
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		if got := matchChannel(f.channels[0], c.channel); got != c.want {
			t.Errorf("%q matches %q: %v, want %v", c.pattern, c.channel, got, c.want)
		}
	}
}

// TestMatchChannelIsNotExponential: many "**" against a long channel that
// does not match end in reasonable work (a backtracking matcher would not).
func TestMatchChannelIsNotExponential(t *testing.T) {
	f, _ := newSpyFilter(wire.SpyFilter{Channels: []string{strings.Repeat("**/a/", 30) + "b"}})
	if matchChannel(f.channels[0], strings.Repeat("a/", 400)+"c") {
		t.Fatal("matched")
	}
}

func TestPreview(t *testing.T) {
	mp := func(v any) []byte {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"args", mp([]any{"hi", 42, -3, 1.5, true, nil}), `["hi", 42, -3, 1.5, true, null]`},
		{"map", mp(map[string]any{"k": []int{1}}), `{"k": [1]}`},
		{"bytes", mp([]any{[]byte{1, 2, 3}}), `[<3 bytes>]`},
		{"long string", mp(strings.Repeat("é", 100)), `"` + strings.Repeat("é", previewStrChars) + `…"`},
		{"deep", []byte(strings.Repeat("\x91", 10000)), "[[[[[…"},
		{"claims 4G elements", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}, "[1, …"},
		{"truncated string", []byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}, "…"},
		{"never used code", []byte{0xc1}, "?…"},
		{"cut input", mp([]any{strings.Repeat("a", 30), strings.Repeat("b", 30), strings.Repeat("c", 30), strings.Repeat("d", 30), strings.Repeat("e", 300)}), ""},
	} {
		got := preview(c.in)
		if c.want != "" && got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if utf8.RuneCountInString(got) > previewChars+1 || !utf8.ValidString(got) {
			t.Errorf("%s: %q is over %d characters or not UTF-8", c.name, got, previewChars)
		}
		if c.name == "cut input" && !strings.HasSuffix(got, "…") {
			t.Errorf("%s: %q does not say it was cut", c.name, got)
		}
	}
}

func FuzzPreview(f *testing.F) {
	f.Add([]byte{0x92, 0xa2, 'h', 'i', 0x2a})
	f.Add([]byte(strings.Repeat("\x81\xa1k", 50)))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := preview(b)
		if len(got) > previewChars+len(previewTruncated) {
			t.Fatalf("preview %d bytes", len(got))
		}
	})
}
