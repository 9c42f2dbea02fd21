//go:build !unix && !js

package stream

import "syscall"

// readNow reports true: without a non-blocking read here, a connection
// never looks idle to ReadReady.
func readNow(rc syscall.RawConn, p []byte) (int, bool) { return 0, true }
