package main

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParseJSON checks that no command-line argument makes parseJSON
// panic, and that what it accepts prints as JSON (marshalLine) that parses
// back to a value printing the same way.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`"hello"`, `{"n":1,"list":[1.5,null]}`, `12345678901234567890`, `-0`, `1e400`, `[[[[]]]]`,
		`{"a":{"b":[true,false]}}`, `"\u00e9\ud800"`, `1 2`, `{`, strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseJSON(s)
		if err != nil {
			return
		}
		line := marshalLine(jsonValue(v))
		if len(line) == 0 || line[len(line)-1] != '\n' {
			t.Fatalf("parseJSON(%q) prints as %q", s, line)
		}
		v2, err := parseJSON(string(line))
		if err != nil {
			t.Fatalf("parseJSON(%q) prints as %q, which does not parse: %v", s, line, err)
		}
		v3, err := parseJSON(string(marshalLine(jsonValue(v2))))
		if err != nil || !reflect.DeepEqual(v2, v3) {
			t.Fatalf("parseJSON(%q): printing is not stable: %#v then %#v (%v)", s, v2, v3, err)
		}
	})
}
