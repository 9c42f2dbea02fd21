package bus

// writesInline says whether Conn.pushNow may write requests and responses
// on the goroutine that makes them. Under js/wasm that goroutine may be a
// JS callback, which must never wait: only when the transport says its
// write would not (client.wasm's WebSocket, while the browser's buffer has
// room).
func writesInline(t Transport) bool {
	w, ok := t.(interface{ WriteWouldNotWait() bool })
	return ok && w.WriteWouldNotWait()
}
