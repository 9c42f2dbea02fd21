package worker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/link"
	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// The big-payload scenario (electron-common-ipc's test-app): values of one
// kind, 1 MB and 10 MB, sent one at a time; the one-way time is from the
// sender's call to the moment the receiver's listener has the decoded
// values (wall clock, same machine).

// object is the test-app's {uuid, payload}.
type object struct {
	UUID    string `msgpack:"uuid"`
	Payload string `msgpack:"payload"`
}

const bigUUID = "6f1c2c8e-3b9a-4d2e-9f0a-1b2c3d4e5f60"

// bigArgs returns the arguments of one message of kind and size.
func bigArgs(kind string, size int) ([]any, error) {
	switch kind {
	case proto.KindString:
		return []any{strings.Repeat("x", size)}, nil
	case proto.KindObject:
		return []any{object{UUID: bigUUID, Payload: strings.Repeat("x", size)}}, nil
	case proto.KindBuffer:
		return []any{make([]byte, size)}, nil
	case proto.KindArgs:
		third := size / 3
		return []any{strings.Repeat("x", third), object{UUID: bigUUID, Payload: strings.Repeat("x", third)}, make([]byte, third), 42}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

// bigCheck decodes one message of kind and says whether it has size.
func bigCheck(kind string, size int, decode func(dst ...any) error) error {
	var (
		s   string
		o   object
		b   []byte
		n   int
		got int
	)
	switch kind {
	case proto.KindString:
		if err := decode(&s); err != nil {
			return err
		}
		got = len(s)
	case proto.KindObject:
		if err := decode(&o); err != nil {
			return err
		}
		got = len(o.Payload)
	case proto.KindBuffer:
		if err := decode(&b); err != nil {
			return err
		}
		got = len(b)
	case proto.KindArgs:
		if err := decode(&s, &o, &b, &n); err != nil {
			return err
		}
		size /= 3
		if len(s) != size || len(o.Payload) != size || n != 42 {
			return fmt.Errorf("args of %d, %d bytes and %d", len(s), len(o.Payload), n)
		}
		got = len(b)
	}
	if got != size {
		return fmt.Errorf("%s of %d bytes, want %d", kind, got, size)
	}
	return nil
}

func valued(l link.Link) (link.Valued, error) {
	v, ok := l.(link.Valued)
	if !ok {
		return nil, errors.New("this link carries bytes only: no big-payload scenario")
	}
	return v, nil
}

// bigRecv decodes cmd.N values of cmd.Kind on cmd.Ch and acks each with
// the wall-clock time it had it.
func (w *Worker) bigRecv(ctx context.Context, cmd *proto.Command) proto.Reply {
	v, err := valued(w.Link)
	if err != nil {
		return errReply(err)
	}
	var (
		mu    sync.Mutex
		r     proto.Reply
		count int
	)
	done := make(chan struct{})
	stop, err := v.ListenValues(cmd.Ch, func(decode func(dst ...any) error) {
		err := bigCheck(cmd.Kind, cmd.Size, decode)
		at := time.Now().UnixNano()
		mu.Lock()
		defer mu.Unlock()
		if count >= cmd.N {
			return
		}
		if err != nil {
			r.Bad++
			r.Err = err.Error()
		}
		count++
		w.Link.Publish(cmd.AckCh, nil, binary.BigEndian.AppendUint64(nil, uint64(at)))
		if count == cmd.N {
			close(done)
		}
	})
	if err != nil {
		return errReply(err)
	}
	defer stop()
	stopProbe, err := w.Link.Listen(cmd.ProbeCh, func(link.Msg) {
		w.Link.Publish(cmd.AckCh, nil, make([]byte, 8))
	})
	if err != nil {
		return errReply(err)
	}
	defer stopProbe()
	if err := w.Link.Sync(ctx); err != nil {
		return errReply(err)
	}
	w.ready(cmd)
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		r.Err = fmt.Sprintf("timed out after %d of %d values", count, cmd.N)
	}
	r.Count = count
	return r
}

// bigSend probes until the receiver answers, then sends cmd.N values of
// cmd.Kind, each once the last is acknowledged, and replies with the
// median one-way time.
func (w *Worker) bigSend(ctx context.Context, cmd *proto.Command) proto.Reply {
	v, err := valued(w.Link)
	if err != nil {
		return errReply(err)
	}
	acks := make(chan int64, 16)
	stop, err := w.Link.Listen(cmd.AckCh, func(m link.Msg) {
		if len(m.Data) == 8 {
			select {
			case acks <- int64(binary.BigEndian.Uint64(m.Data)):
			default:
			}
		}
	})
	if err != nil {
		return errReply(err)
	}
	defer stop()
	if err := w.Link.Sync(ctx); err != nil {
		return errReply(err)
	}
	for probed := false; !probed; {
		if err := w.Link.Publish(cmd.ProbeCh, nil, []byte{0}); err != nil {
			return errReply(err)
		}
		select {
		case at := <-acks:
			probed = at == 0
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return proto.Reply{Err: "the receiver never answered the probe"}
		}
	}
	for len(acks) > 0 { // late answers to earlier probes
		<-acks
	}
	args, err := bigArgs(cmd.Kind, cmd.Size)
	if err != nil {
		return errReply(err)
	}
	var lat []float64
	for i := range cmd.N {
		t0 := time.Now().UnixNano()
		if err := v.SendValues(cmd.Ch, args...); err != nil {
			return proto.Reply{Count: i, Err: err.Error()}
		}
		for {
			var at int64
			select {
			case at = <-acks:
			case <-ctx.Done():
				return proto.Reply{Count: i, Err: fmt.Sprintf("timed out waiting for the ack of value %d of %d", i+1, cmd.N)}
			}
			if at != 0 {
				lat = append(lat, float64(at-t0)/1e3)
				break
			}
		}
	}
	if len(lat) == 0 {
		return proto.Reply{Err: "no values sent"}
	}
	slices.Sort(lat)
	return proto.Reply{Count: len(lat), MedUS: lat[len(lat)/2]}
}
