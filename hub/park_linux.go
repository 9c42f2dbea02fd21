package hub

import (
	"errors"
	"sync"
	"syscall"
)

// A parker holds idle connections without a goroutine each: a connection
// whose reader found nothing to read for a while is registered with an
// epoll instance of the hub's (one-shot) and its reader ends; one
// goroutine waits on the instance and starts a new reader for each
// connection that becomes readable. An idle connection then costs no
// goroutine stack (see conn.park).
type parker struct {
	epfd int
	stop [2]int // a pipe: closing stop[1] ends the loop

	mu     sync.Mutex
	parked map[uint64]*conn // by conn id
	closed bool             // the loop ended: park refuses
}

// newParker returns a parker (to be run by loop), or nil when epoll is not
// to be had.
func newParker() *parker {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	p := &parker{epfd: epfd, parked: make(map[uint64]*conn)}
	if err := syscall.Pipe2(p.stop[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: -1, Pad: -1}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.stop[0], &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(p.stop[0])
		syscall.Close(p.stop[1])
		return nil
	}
	return p
}

// park registers c, whose reader is about to end, to be resumed when its
// socket is readable or when it is closed (unpark). It reports false when
// c could not be registered (its socket is closed): its reader goes on.
func (p *parker) park(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	// Under p.mu: the loop cannot take c before it is registered, nor
	// close the instance meanwhile.
	err := c.raw.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(uint32(c.id)), Pad: int32(uint32(c.id >> 32))}
		op := syscall.EPOLL_CTL_MOD
		if !c.polled {
			op = syscall.EPOLL_CTL_ADD
		}
		err := syscall.EpollCtl(p.epfd, op, int(fd), &ev)
		switch {
		case errors.Is(err, syscall.EEXIST):
			err = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		case errors.Is(err, syscall.ENOENT):
			err = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		}
		c.polled = err == nil
	})
	if err != nil || !c.polled {
		return false
	}
	p.parked[c.id] = c
	return true
}

// unpark resumes c's reader if c is parked; the caller has closed c's
// transport, so that the reader finds it closed.
func (p *parker) unpark(c *conn) {
	p.mu.Lock()
	_, ok := p.parked[c.id]
	delete(p.parked, c.id)
	p.mu.Unlock()
	if ok {
		go c.resume()
	}
}

// loop resumes the connections that become readable until quit is
// closed; then it resumes every parked connection (a hub that stops holds
// its connections' readers to the end) and closes the epoll instance.
func (p *parker) loop(quit <-chan struct{}) {
	stopped := make(chan struct{})
	go func() {
		select {
		case <-quit:
		case <-stopped:
		}
		syscall.Close(p.stop[1])
	}()
	defer func() {
		close(stopped)
		p.mu.Lock()
		p.closed = true
		all := p.parked
		p.parked = nil
		p.mu.Unlock()
		for _, c := range all {
			go c.resume()
		}
		syscall.Close(p.stop[0])
		syscall.Close(p.epfd)
	}()
	var events [128]syscall.EpollEvent
	for {
		n, err := syscall.EpollWait(p.epfd, events[:], -1)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == -1 && ev.Pad == -1 {
				return // quit
			}
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			p.mu.Lock()
			c := p.parked[id]
			delete(p.parked, id)
			p.mu.Unlock()
			if c != nil {
				go c.resume()
			}
		}
	}
}
