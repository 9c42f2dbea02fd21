//go:build !js

package bus

// writesInline says whether Conn.pushNow may write requests and responses
// on the goroutine that makes them: always, natively.
func writesInline(Transport) bool { return true }
