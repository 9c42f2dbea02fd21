//go:build unix

package stream

import "syscall"

// readNow reads into p what rc's socket holds, without waiting. It reports
// false when nothing waits; true with the bytes read, or with 0 when the
// stream ended or failed (a read through the net.Conn then says which).
func readNow(rc syscall.RawConn, p []byte) (int, bool) {
	var n int
	var rerr error
	err := rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), p)
			if rerr != syscall.EINTR {
				return true
			}
		}
	})
	switch {
	case err == nil && rerr == syscall.EAGAIN:
		return 0, false
	case err != nil || rerr != nil:
		return 0, true
	}
	return n, true
}
