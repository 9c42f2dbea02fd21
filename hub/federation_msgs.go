package hub

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// What a NATS message between hubs carries, its first byte.
const (
	fedSend    = 'S' // a send: target, channel, sender, args
	fedRequest = 'Q' // a request, answered on the message's reply subject
	fedAnswer  = 'A' // an answer: hub, status, sender, value
	fedAck     = 'K' // a hub delivered a request on a channel: hub
	fedDone    = 'D' // a request settled at its origin: origin hub, request
)

// fedMsg is a decoded message from another hub. Its byte slices point
// into the NATS message, which nats.go does not reuse.
type fedMsg struct {
	kind    byte
	hub     uint32 // the answering or acknowledging hub; a done's origin
	id      uint64 // a done's request, at its origin
	to      wire.Target
	channel string
	status  wire.Status
	sender  []byte
	body    []byte
}

var errFedMsg = errors.New("federation: malformed message")

// appendFedMsg encodes a send or request.
func appendFedMsg(b []byte, kind byte, to wire.Target, channel string, sender, body []byte) []byte {
	b = append(b, kind)
	b = binary.AppendUvarint(b, to.Peer)
	if to.Process != nil {
		p, _ := msgpack.Marshal(to.Process)
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	} else {
		b = append(b, 0)
	}
	b = appendBytes(b, []byte(channel))
	b = appendBytes(b, sender)
	return append(b, body...)
}

// appendFedAnswer encodes an answer from hub.
func appendFedAnswer(b []byte, hub uint32, status wire.Status, sender, body []byte) []byte {
	b = append(b, fedAnswer)
	b = binary.AppendUvarint(b, uint64(hub))
	b = binary.AppendUvarint(b, uint64(status))
	b = appendBytes(b, sender)
	return append(b, body...)
}

// appendFedAck encodes an acknowledgement from hub; appendFedDone a done
// for request id of hub.
func appendFedAck(b []byte, hub uint32) []byte {
	return binary.AppendUvarint(append(b, fedAck), uint64(hub))
}

func appendFedDone(b []byte, hub uint32, id uint64) []byte {
	b = binary.AppendUvarint(append(b, fedDone), uint64(hub))
	return binary.AppendUvarint(b, id)
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// parseFedMsg decodes what appendFedMsg or appendFedAnswer encoded; what
// another hub sends is checked as a client's frame would be.
func parseFedMsg(b []byte) (fedMsg, error) {
	var m fedMsg
	if len(b) == 0 {
		return m, errFedMsg
	}
	m.kind, b = b[0], b[1:]
	var ok bool
	switch m.kind {
	case fedSend, fedRequest:
		if m.to.Peer, b, ok = uvarint(b); !ok {
			return m, errFedMsg
		}
		var proc []byte
		if proc, b, ok = bytesField(b); !ok {
			return m, errFedMsg
		}
		if len(proc) > 0 {
			m.to.Process = new(wire.Process)
			if msgpack.Unmarshal(proc, m.to.Process) != nil {
				return m, errFedMsg
			}
		}
		var ch []byte
		if ch, b, ok = bytesField(b); !ok {
			return m, errFedMsg
		}
		m.channel = string(ch)
		if !wire.ValidChannel(m.channel) {
			return m, errFedMsg
		}
	case fedAnswer, fedAck, fedDone:
		var hub uint64
		if hub, b, ok = uvarint(b); !ok || hub == 0 || hub > maxHubID {
			return m, errFedMsg
		}
		m.hub = uint32(hub)
		switch m.kind {
		case fedAck:
			return m, nil
		case fedDone:
			if m.id, _, ok = uvarint(b); !ok {
				return m, errFedMsg
			}
			return m, nil
		}
		var s uint64
		if s, b, ok = uvarint(b); !ok || s > 0xffff {
			return m, errFedMsg
		}
		m.status = wire.Status(s)
	default:
		return m, errFedMsg
	}
	if m.sender, b, ok = bytesField(b); !ok {
		return m, errFedMsg
	}
	m.body = b
	if m.kind != fedAnswer {
		if err := checkArgs(&wire.Frame{Body: b}); err != nil {
			return m, errFedMsg
		}
	}
	return m, nil
}

func uvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

func bytesField(b []byte) ([]byte, []byte, bool) {
	n, b, ok := uvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, b, false
	}
	return b[:n], b[n:], true
}

// remoteHub returns the hub a peer id belongs to, when it is another one.
func (f *federation) remoteHub(peer uint64) (uint64, bool) {
	hub := peer >> 32
	return hub, hub != 0 && hub != uint64(f.cfg.HubID)
}

// subject returns where a message to target goes to reach other hubs:
// the channel's subject, or the subject of the hub a target peer is on;
// false when no other hub can have it.
func (f *federation) subject(channel string, to wire.Target) (string, bool) {
	if !federated(channel) {
		return "", false
	}
	if to.Peer != 0 {
		hub, ok := f.remoteHub(to.Peer)
		if !ok {
			return "", false
		}
		return f.hubSubject(hub), true
	}
	return f.channelSubject(channel), true
}

// fedSend publishes a local send for the other hubs' listeners.
func (h *Hub) fedSend(fr *wire.Frame, sender []byte) {
	f := h.fed
	if f == nil {
		return
	}
	subject, ok := f.subject(fr.Channel, fr.To)
	if !ok {
		return
	}
	data := appendFedMsg(make([]byte, 0, 32+len(fr.Channel)+len(sender)+len(fr.Body)), fedSend, fr.To, fr.Channel, sender, fr.Body)
	if err := f.nc.Publish(subject, data); err != nil {
		f.publishFailed("send", fr.Channel, err)
	}
}

// onChannelMsg handles a message on a channel's subject.
func (f *federation) onChannelMsg(m *nats.Msg) { f.onMsg(m) }

// onHubMsg handles a message on the hub's own subjects: messages to its
// peers (.m) and answers to its requests (.r.<id>).
func (f *federation) onHubMsg(m *nats.Msg) {
	rest := strings.TrimPrefix(m.Subject, f.self+".")
	if rest == "m" {
		if len(m.Data) > 0 && (m.Data[0] == fedPortMessage || m.Data[0] == fedPortClose) {
			f.onPortMsg(m.Data)
			return
		}
		f.onMsg(m)
		return
	}
	if offerText, ok := strings.CutPrefix(rest, "o."); ok {
		if offer, err := strconv.ParseUint(offerText, 10, 64); err == nil {
			f.onOfferReply(m, offer)
		}
		return
	}
	idText, ok := strings.CutPrefix(rest, "r.")
	id, err := strconv.ParseUint(idText, 10, 64)
	if !ok || err != nil {
		return
	}
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" { // NATS: no one subscribes
		f.remoteDone(id, wire.StatusNoListener)
		return
	}
	msg, err := parseFedMsg(m.Data)
	switch {
	case err == nil && msg.kind == fedAnswer:
		f.onAnswer(id, msg)
	case err == nil && msg.kind == fedAck:
		f.onAck(id, msg.hub)
	default:
		f.h.log.Debug("federation: bad answer dropped", "subject", m.Subject)
	}
}

func (f *federation) onMsg(m *nats.Msg) {
	if len(m.Data) > 0 && m.Data[0] == fedPortOffer {
		f.onOffer(m.Data, m.Reply)
		return
	}
	msg, err := parseFedMsg(m.Data)
	if err != nil {
		f.h.log.Debug("federation: bad message dropped", "subject", m.Subject)
		return
	}
	switch msg.kind {
	case fedSend:
		f.deliverSend(msg)
	case fedRequest:
		if m.Reply != "" {
			f.deliverRequest(msg, m.Reply)
		}
	case fedDone:
		f.onDone(msg.hub, msg.id)
	}
}

// deliverSend delivers another hub's send to the local listeners.
func (f *federation) deliverSend(m fedMsg) {
	var buf [8]delivery
	f.h.deliver(f.receivers(m, buf[:0]), m.channel, 0, m.sender, m.body, nil)
}

// receivers counts another hub's send and returns its local deliveries,
// appended to buf.
func (f *federation) receivers(m fedMsg, buf []delivery) []delivery {
	h := f.h
	h.stats.sends.Add(1)
	h.router.mu.RLock()
	defer h.router.mu.RUnlock()
	return h.router.match(m.channel, m.to, len(m.body), buf, nil)
}
