package nativeclient

import "strings"

// addrName is how errors name the hub at addr: its parsed form, without a
// URL's query (a WebSocket URL's token stays out of logs).
func addrName(addr string) string {
	a, err := ParseAddr(addr)
	if err != nil {
		return addr
	}
	s, _, _ := strings.Cut(a.String(), "?")
	return s
}
