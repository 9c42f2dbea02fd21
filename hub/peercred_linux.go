package hub

import (
	"net"
	"syscall"
)

// peerCred returns the uid and pid of the process at the other end of a
// Unix socket, as the kernel recorded them when it connected.
func peerCred(uc *net.UnixConn) (uid, pid int, err error) {
	sc, err := uc.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := sc.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, 0, err
	}
	if cerr != nil {
		return 0, 0, cerr
	}
	return int(cred.Uid), int(cred.Pid), nil
}
