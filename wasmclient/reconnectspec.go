package main

import (
	"math"
	"time"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// Untagged, as the op decoder that reads it (opdecode.go): it builds
// natively for FuzzDecodeOp.

// reconnectSpec is the reconnect part of a connect op, as the JS connect
// options name it (web/src/client.js checks them): {reconnect (false: never),
// reconnectWait, maxReconnectWait, reconnectJitter (ms), maxReconnects,
// reconnectBufBytes}. Absent fields are the engine's defaults
// (bus.Options).
type reconnectSpec struct {
	off                                  bool
	wait, maxWait, jitter, max, bufBytes float64
	has                                  map[string]bool
}

// readReconnect reads the connect op's reconnect object; anything else
// reads as no options.
func readReconnect(b []byte) (reconnectSpec, []byte, error) {
	s := reconnectSpec{has: map[string]bool{}}
	n, rest, err := readMapLen(b)
	if err != nil {
		rest, err = wire.SkipValue(b)
		return s, rest, err
	}
	for range n {
		var key string
		if key, rest, err = wire.ReadStr(rest); err != nil {
			return s, nil, err
		}
		if isNil(rest) {
			rest = rest[1:]
			continue
		}
		var f *float64
		switch key {
		case "reconnect":
			var on bool
			if on, rest, err = readTruthy(rest); err != nil {
				return s, nil, err
			}
			s.off = !on
			continue
		case "reconnectWait":
			f = &s.wait
		case "maxReconnectWait":
			f = &s.maxWait
		case "reconnectJitter":
			f = &s.jitter
		case "maxReconnects":
			f = &s.max
		case "reconnectBufBytes":
			f = &s.bufBytes
		default:
			if rest, err = wire.SkipValue(rest); err != nil {
				return s, nil, err
			}
			continue
		}
		if *f, rest, err = wire.ReadFloat(rest); err != nil || math.IsNaN(*f) {
			return s, nil, errBadOp
		}
		s.has[key] = true
	}
	return s, rest, nil
}

// apply sets the reconnect fields of o. The JS units are ms and bytes; a
// jitter of 0 is none, maxReconnects 0 is no reconnecting and below zero
// (or Infinity) is no limit.
func (s reconnectSpec) apply(o *bus.Options) {
	ms := func(v float64) time.Duration {
		if v <= 0 {
			return 0
		}
		if v > float64(math.MaxInt64/int64(time.Millisecond)) {
			return math.MaxInt64
		}
		return time.Duration(v * float64(time.Millisecond))
	}
	o.NoReconnect = s.off
	if s.has["reconnectWait"] {
		o.ReconnectWait = ms(s.wait)
	}
	if s.has["maxReconnectWait"] {
		o.MaxReconnectWait = ms(s.maxWait)
	}
	if s.has["reconnectJitter"] {
		if o.ReconnectJitter = ms(s.jitter); o.ReconnectJitter == 0 {
			o.ReconnectJitter = -1
		}
	}
	if s.has["maxReconnects"] {
		switch {
		case s.max == 0:
			o.NoReconnect = true
		case s.max < 0 || s.max > math.MaxInt32:
			o.MaxReconnects = -1
		default:
			o.MaxReconnects = int(s.max)
		}
	}
	if s.has["reconnectBufBytes"] && s.bufBytes >= 1 {
		o.ReconnectBufBytes = int(min(s.bufBytes, math.MaxInt32))
	}
}
