package stream

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// writeNow writes bufs with one writev on rc's socket, without waiting for
// room. It returns the bytes written (0 when the socket is full), or ok
// false when nothing was tried because rc's write deadline has passed.
func writeNow(rc syscall.RawConn, bufs [][]byte) (n int, ok bool, err error) {
	var iov [4]syscall.Iovec
	k := 0
	for _, b := range bufs {
		if len(b) > 0 {
			iov[k].Base = &b[0]
			iov[k].SetLen(len(b))
			k++
		}
	}
	if k == 0 {
		return 0, true, nil
	}
	tried := false
	var werr error
	rerr := rc.Write(func(fd uintptr) bool {
		tried = true
		for {
			// Raw: the socket is non-blocking, so the scheduler need not know.
			r, _, errno := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
			switch errno {
			case 0:
				n = int(r)
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
			default:
				werr = errno
			}
			return true
		}
	})
	if !tried {
		if errors.Is(rerr, os.ErrDeadlineExceeded) {
			return 0, false, nil
		}
		return 0, true, rerr
	}
	return n, true, werr
}
