package bus

import "sync"

// Listener handles the events of one channel.
type Listener func(*Event)

// ListenerID identifies one registration of a listener.
type ListenerID uint64

// ListenOption changes how AddListener registers a listener.
type ListenOption func(*listener)

// Once removes the listener before its first call.
func Once() ListenOption { return func(l *listener) { l.once = true } }

// Prepend puts the listener first instead of last.
func Prepend() ListenOption { return func(l *listener) { l.prepend = true } }

// WithKey attaches a key to the registration, returned by Listeners. Bindings
// use it to find a registration by their own notion of identity (a JS function).
func WithKey(key any) ListenOption { return func(l *listener) { l.key = key } }

// ListenerInfo describes one registration, as Listeners returns it.
type ListenerInfo struct {
	ID   ListenerID
	Key  any
	Once bool
}

type listener struct {
	id      ListenerID
	fn      Listener
	key     any
	once    bool
	prepend bool
}

// emitter holds listeners per channel with Node EventEmitter semantics.
// onFirst and onLast run, under the emitter's lock, when a channel gains its
// first listener and loses its last.
type emitter struct {
	mu      sync.Mutex
	nextID  ListenerID
	byChan  map[string][]*listener
	onFirst func(channel string)
	onLast  func(channel string)
}

func (e *emitter) add(channel string, fn Listener, opts []ListenOption) ListenerID {
	l := &listener{fn: fn}
	for _, o := range opts {
		o(l)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byChan == nil {
		e.byChan = make(map[string][]*listener)
	}
	e.nextID++
	l.id = e.nextID
	list := e.byChan[channel]
	// Listener lists are copied on write: a dispatch in progress keeps the
	// snapshot it took, as Node's emit does.
	next := make([]*listener, 0, len(list)+1)
	if l.prepend {
		next = append(append(next, l), list...)
	} else {
		next = append(append(next, list...), l)
	}
	e.byChan[channel] = next
	if len(list) == 0 && e.onFirst != nil {
		e.onFirst(channel)
	}
	return l.id
}

// remove removes the registration id; it reports whether there was one.
func (e *emitter) remove(channel string, id ListenerID) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.removeLocked(channel, id)
}

func (e *emitter) removeLocked(channel string, id ListenerID) bool {
	list := e.byChan[channel]
	for i, l := range list {
		if l.id != id {
			continue
		}
		if len(list) == 1 {
			delete(e.byChan, channel)
			if e.onLast != nil {
				e.onLast(channel)
			}
			return true
		}
		next := make([]*listener, 0, len(list)-1)
		e.byChan[channel] = append(append(next, list[:i]...), list[i+1:]...)
		return true
	}
	return false
}

// removeAll removes every listener of channel, or of every channel when
// all is true.
func (e *emitter) removeAll(channel string, all bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.byChan {
		if all || ch == channel {
			delete(e.byChan, ch)
			if e.onLast != nil {
				e.onLast(ch)
			}
		}
	}
}

func (e *emitter) count(channel string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.byChan[channel])
}

func (e *emitter) infos(channel string) []ListenerInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.byChan[channel]
	out := make([]ListenerInfo, len(list))
	for i, l := range list {
		out[i] = ListenerInfo{ID: l.id, Key: l.key, Once: l.once}
	}
	return out
}

func (e *emitter) channels() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.byChan))
	for ch := range e.byChan {
		out = append(out, ch)
	}
	return out
}

// snapshot returns the listeners to call for one event and removes the
// once listeners among them before any runs, as Node does.
func (e *emitter) snapshot(channel string) []*listener {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.byChan[channel]
	for _, l := range list {
		if l.once {
			e.removeLocked(channel, l.id)
		}
	}
	return list
}
