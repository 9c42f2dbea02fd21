//go:build !js

package bus

import "unicode"

// JSName is a ServiceOptions.MethodName that gives an outer value's
// methods the names JavaScript proxies call (pages, Node and
// electron-common-ipc name handlers in lowerCamelCase): GetArg0 answers
// getArg0, URLFor urlFor, ID id.
//
//	bus.NewService(c, "files", &Files{}, &bus.ServiceOptions{MethodName: bus.JSName})
func JSName(method string) string {
	r := []rune(method)
	n := 0 // leading upper-case runes
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	if n > 1 && n < len(r) && !unicode.IsDigit(r[n]) {
		n-- // an acronym's last letter starts the next word: URLFor is url+For
	}
	for i := range n {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}
