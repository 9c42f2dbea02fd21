package hub

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// MessagePorts across hubs. A send that transfers ports and reaches no
// local receiver is offered to the other hubs: published as an offer on
// the channel's (or the target hub's) subject, with the reply subject
// P.h.<origin>.o.<offer>. Every hub that gets it delivers the message;
// one with a local receiver first claims the ports (a claim naming the
// keys it chose for them), and the first claim is granted, the others
// denied. The granted hub hands the ports to its first receiver, through
// relays whose far end is the origin hub; every other receiver gets the
// message without ports, as on one hub. Messages and closes then travel on
// each hub's P.h.<hub>.m, naming the port by its key.
//
// Until the grant, what the sender posts on a port waits at the origin;
// until the message is handed over, what the origin relays waits at the
// claimer (portWait). An offer no hub claims within portOfferTimeout, or
// that NATS says no one subscribes to, closes its ports.

// What a NATS message about ports carries, its first byte.
const (
	fedPortOffer   = 'T' // origin hub, offer, port count, then a fedSend
	fedPortClaim   = 'C' // claiming hub, the keys it chose
	fedPortGrant   = 'G'
	fedPortDeny    = 'N'
	fedPortMessage = 'P' // key hub, key id, sending hub, body
	fedPortClose   = 'X' // key hub, key id, sending hub
)

// portOfferTimeout bounds how long an offer waits for a claim, and a
// claim for its answer.
const portOfferTimeout = 2 * time.Second

// maxOffers bounds the offers waiting at once; maxRemotePorts the port
// ends a hub shares with others. Past them, ports are closed at once.
const (
	maxOffers      = 1024
	maxRemotePorts = 65536
)

// What may wait for a port's far end: messages, bytes.
const (
	maxPortWaitMsgs  = 1024
	maxPortWaitBytes = 4 << 20
)

// xport names a port end shared by two hubs: the hub that chose the id,
// and the id.
type xport struct {
	hub uint32
	id  uint64
}

// portWait holds what goes to a relay's ends[1] until it can be reached.
type portWait struct {
	items   []portItem
	bytes   int
	dropped bool // ends[1]'s connection closed before the port reached it
}

type portItem struct {
	body  []byte
	close bool
}

// add queues a message (or the close), reporting false when a message is
// over the bounds and dropped.
func (w *portWait) add(body []byte, close bool) bool {
	if !close && (len(w.items) >= maxPortWaitMsgs || w.bytes+len(body) > maxPortWaitBytes) {
		return false
	}
	w.items = append(w.items, portItem{body, close})
	w.bytes += len(body)
	return true
}

// portOffer is a send's ports waiting at their origin for a claim: each
// relay's ends[0] is the sender's, ends[1] to be the claimer's.
type portOffer struct {
	relays []*relay
	timer  *time.Timer
}

func appendPortKey(b []byte, kind byte, key xport, from uint32) []byte {
	b = binary.AppendUvarint(append(b, kind), uint64(key.hub))
	b = binary.AppendUvarint(b, key.id)
	return binary.AppendUvarint(b, uint64(from))
}

// publishPort sends a port message or close to the remote end e.
func (f *federation) publishPort(e portEnd, kind byte, body []byte) {
	if f == nil {
		return
	}
	data := append(appendPortKey(make([]byte, 0, 24+len(body)), kind, e.key, f.cfg.HubID), body...)
	if err := f.nc.Publish(f.hubSubject(uint64(e.hub)), data); err != nil {
		f.publishFailed("port message", "", err)
	}
}

// offerPorts offers a send's ports, which reached no local receiver, to
// the other hubs, and publishes the send with them. It reports false when
// the send is not for other hubs, or no port could be offered: the caller
// then closes the ports and publishes the send alone.
func (f *federation) offerPorts(src *conn, fr *wire.Frame, sender []byte) bool {
	if f == nil {
		return false
	}
	subject, ok := f.subject(fr.Channel, fr.To)
	if !ok {
		return false
	}
	h := f.h
	h.ports.mu.Lock()
	if len(f.offers) >= maxOffers {
		h.ports.mu.Unlock()
		return false
	}
	o := &portOffer{}
	var refused []uint64
	for _, id := range fr.Ports {
		if _, taken := src.ports[id]; taken || src.ports == nil || len(src.ports) >= maxPortsPerConn {
			refused = append(refused, id)
			continue
		}
		r := &relay{ends: [2]portEnd{{c: src, id: id}}, wait: &portWait{}}
		src.ports[id] = r
		o.relays = append(o.relays, r)
	}
	if len(o.relays) == 0 {
		h.ports.mu.Unlock()
		return false
	}
	f.nextOffer++
	offer := f.nextOffer
	f.offers[offer] = o
	o.timer = time.AfterFunc(portOfferTimeout, func() { f.offerEnded(offer) })
	h.ports.mu.Unlock()
	for _, id := range refused {
		h.closePortEnd(portEnd{c: src, id: id})
	}
	data := binary.AppendUvarint(append(make([]byte, 0, 48+len(fr.Channel)+len(sender)+len(fr.Body)), fedPortOffer), uint64(f.cfg.HubID))
	data = binary.AppendUvarint(data, offer)
	data = binary.AppendUvarint(data, uint64(len(o.relays)))
	data = appendFedMsg(data, fedSend, fr.To, fr.Channel, sender, fr.Body)
	m := &nats.Msg{Subject: subject, Reply: f.self + ".o." + strconv.FormatUint(offer, 10), Data: data}
	if err := f.nc.PublishMsg(m); err != nil {
		f.publishFailed("port offer", fr.Channel, err)
		f.offerEnded(offer)
	}
	return true
}

// offerEnded closes the ports of an offer no hub took.
func (f *federation) offerEnded(offer uint64) {
	h := f.h
	h.ports.mu.Lock()
	o := f.offers[offer]
	delete(f.offers, offer)
	var ends []portEnd
	if o != nil {
		o.timer.Stop()
		for _, r := range o.relays {
			src := r.ends[0]
			if src.c.ports[src.id] == r {
				delete(src.c.ports, src.id)
				ends = append(ends, src)
			}
		}
	}
	h.ports.mu.Unlock()
	for _, e := range ends {
		h.closePortEnd(e)
	}
}

// stopOffers ends the offers still waiting (at federation stop).
func (f *federation) stopOffers() {
	f.h.ports.mu.Lock()
	offers := make([]uint64, 0, len(f.offers))
	for id := range f.offers {
		offers = append(offers, id)
	}
	f.h.ports.mu.Unlock()
	for _, id := range offers {
		f.offerEnded(id)
	}
}

// onOfferReply handles what comes on an offer's reply subject: NATS's
// no-responders, a decline, or a claim (answered with a grant or a deny).
func (f *federation) onOfferReply(m *nats.Msg, offer uint64) {
	if len(m.Data) == 0 || m.Data[0] == fedPortDeny {
		if len(m.Data) > 0 || m.Header.Get("Status") == "503" {
			f.offerEnded(offer)
		}
		return
	}
	hub, keys, ok := parseClaim(m.Data)
	if !ok || m.Reply == "" {
		return
	}
	h := f.h
	h.ports.mu.Lock()
	o := f.offers[offer]
	if o == nil || len(keys) != len(o.relays) || len(f.remote)+len(keys) > maxRemotePorts {
		h.ports.mu.Unlock()
		f.respond(m, fedPortDeny)
		if o != nil {
			f.offerEnded(offer)
		}
		return
	}
	delete(f.offers, offer)
	o.timer.Stop()
	var closed []portEnd
	for i, r := range o.relays {
		key := xport{hub, keys[i]}
		far := portEnd{hub: hub, key: key}
		r.ends[1] = far
		gone := false
		for _, it := range r.wait.items {
			if it.close {
				gone = true
				break
			}
			f.publishPort(far, fedPortMessage, it.body)
		}
		r.wait = nil
		if _, taken := f.remote[key]; taken || gone {
			closed = append(closed, far)
			if !gone {
				src := r.ends[0]
				delete(src.c.ports, src.id)
				closed = append(closed, src)
			}
			continue
		}
		f.remote[key] = r
	}
	h.ports.mu.Unlock()
	f.respond(m, fedPortGrant)
	for _, e := range closed {
		h.closePortEnd(e)
	}
}

func (f *federation) respond(m *nats.Msg, kind byte) {
	if err := m.Respond([]byte{kind}); err != nil {
		f.h.log.Debug("federation: port claim answer failed", "err", err)
	}
}

func parseClaim(b []byte) (uint32, []uint64, bool) {
	if len(b) == 0 || b[0] != fedPortClaim {
		return 0, nil, false
	}
	hub, b, ok := uvarint(b[1:])
	if !ok || hub == 0 || hub > maxHubID {
		return 0, nil, false
	}
	n, b, ok := uvarint(b)
	if !ok || n == 0 || n > uint64(len(b)) {
		return 0, nil, false
	}
	keys := make([]uint64, n)
	for i := range keys {
		if keys[i], b, ok = uvarint(b); !ok {
			return 0, nil, false
		}
	}
	return uint32(hub), keys, true
}

// onOffer delivers another hub's send with ports. The first local
// receiver gets the ports if this hub's claim is granted; the others, or
// all of them when it is not, get the message alone.
func (f *federation) onOffer(data []byte, reply string) {
	origin, b, ok := uvarint(data[1:])
	var n uint64
	if ok {
		_, b, ok = uvarint(b) // the offer, which reply names
	}
	if ok {
		n, b, ok = uvarint(b)
	}
	if !ok || origin == 0 || origin > maxHubID || n == 0 || n > wire.MaxPortsPerFrame || reply == "" {
		f.h.log.Debug("federation: bad port offer dropped")
		return
	}

	m, err := parseFedMsg(b)
	if err != nil || m.kind != fedSend {
		f.h.log.Debug("federation: bad port offer dropped")
		return
	}
	h := f.h
	var buf [8]delivery
	ds := f.receivers(m, buf[:0])
	if len(ds) == 0 {
		if m.to.Peer != 0 { // the one hub it was for: no need to wait
			if err := f.nc.Publish(reply, []byte{fedPortDeny}); err != nil {
				h.log.Debug("federation: port decline failed", "err", err)
			}
		}
		return
	}
	owner := ds[0]
	relays := f.claimLocal(owner.c, uint32(origin), int(n))
	granted := false
	if relays != nil {
		claim := binary.AppendUvarint(append(make([]byte, 0, 8+8*len(relays)), fedPortClaim), uint64(f.cfg.HubID))
		claim = binary.AppendUvarint(claim, uint64(len(relays)))
		for _, r := range relays {
			claim = binary.AppendUvarint(claim, r.ends[0].key.id)
		}
		resp, err := f.nc.Request(reply, claim, portOfferTimeout)
		granted = err == nil && len(resp.Data) == 1 && resp.Data[0] == fedPortGrant
		f.handOver(owner, relays, granted, m)
	}
	rest := ds
	if granted {
		rest = ds[1:]
	}
	h.deliver(rest, m.channel, 0, m.sender, m.body, nil)
}

// claimLocal makes the relays for n ports claimed for dst from origin,
// their far ends keyed by this hub; nil when the limits leave no room.
func (f *federation) claimLocal(dst *conn, origin uint32, n int) []*relay {
	h := f.h
	h.ports.mu.Lock()
	defer h.ports.mu.Unlock()
	if dst.ports == nil || len(dst.ports)+n > maxPortsPerConn || len(f.remote)+n > maxRemotePorts {
		return nil
	}
	relays := make([]*relay, n)
	for i := range relays {
		f.nextKey++
		key := xport{f.cfg.HubID, f.nextKey}
		rid := h.newRelayIDLocked()
		r := &relay{ends: [2]portEnd{{hub: origin, key: key}, {c: dst, id: rid}}, wait: &portWait{}}
		dst.ports[rid] = r
		f.remote[key] = r
		relays[i] = r
	}
	return relays
}

// handOver ends a claim: granted, the message goes with the ports to the
// owner, then what waited for them; denied, the relays are dropped.
func (f *federation) handOver(owner delivery, relays []*relay, granted bool, m fedMsg) {
	h := f.h
	var closed []portEnd
	h.ports.mu.Lock()
	if granted {
		ids := make([]uint64, len(relays))
		for i, r := range relays {
			ids[i] = r.ends[1].id
		}
		owner.c.enqueue(message(m.channel, owner.to, 0, m.sender, ids, m.body))
	}
	for _, r := range relays {
		far, near := r.ends[0], r.ends[1]
		w := r.wait
		r.wait = nil
		if !granted {
			delete(f.remote, far.key)
			if near.c.ports != nil {
				delete(near.c.ports, near.id)
			}
			continue
		}
		if w.dropped {
			if f.remote[far.key] == r {
				delete(f.remote, far.key)
				closed = append(closed, far)
			}
			continue
		}
		for _, it := range w.items {
			if it.close {
				delete(near.c.ports, near.id)
				closed = append(closed, near)
				break
			}
			owner.c.enqueue(portFrame(near.id, it.body))
		}
	}
	h.ports.mu.Unlock()
	for _, e := range closed {
		h.closePortEnd(e)
	}
}

// onPortMsg handles a port message or close from another hub.
func (f *federation) onPortMsg(data []byte) {
	kind := data[0]
	kh, b, ok := uvarint(data[1:])
	var id, from uint64
	if ok {
		id, b, ok = uvarint(b)
	}
	if ok {
		from, b, ok = uvarint(b)
	}
	if !ok || kh == 0 || kh > maxHubID || from == 0 || from > maxHubID {
		return
	}
	key := xport{uint32(kh), id}
	h := f.h
	h.ports.mu.Lock()
	r := f.remote[key]
	if r == nil {
		h.ports.mu.Unlock()
		h.stats.droppedPortMessages.Add(1)
		if kind == fedPortMessage { // the sender's end is stale: close it
			f.publishPort(portEnd{hub: uint32(from), key: key}, fedPortClose, nil)
		}
		return
	}
	near := r.local()
	if kind == fedPortClose {
		delete(f.remote, key)
		tell := h.closeTowardLocked(r, near)
		h.ports.mu.Unlock()
		if tell {
			h.closePortEnd(near)
		}
		return
	}
	if r.wait != nil {
		if !r.wait.add(b, false) {
			h.stats.droppedPortMessages.Add(1)
		}
		h.ports.mu.Unlock()
		return
	}
	h.ports.mu.Unlock()
	if ch := near.c.enqueue(portFrame(near.id, b)); ch != nil {
		near.c.waitDrained(ch)
	}
}

// dropHubPorts closes the local ends of the ports shared with hub, gone.
func (f *federation) dropHubPorts(hub uint32) {
	h := f.h
	var ends []portEnd
	h.ports.mu.Lock()
	for key, r := range f.remote {
		near := r.local()
		if r.other(near.c, near.id).hub != hub {
			continue
		}
		delete(f.remote, key)
		if h.closeTowardLocked(r, near) {
			ends = append(ends, near)
		}
	}
	h.ports.mu.Unlock()
	for _, e := range ends {
		h.closePortEnd(e)
	}
}
