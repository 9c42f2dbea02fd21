package wire

import (
	"reflect"
	"testing"
)

// The hub's hand reading of service events and queries agrees with what
// the msgpack library encodes for Go services and what JS sends.
func TestReadServiceEvent(t *testing.T) {
	st := ServiceStatus{Started: true, CallHandlers: []string{"add", "mul"}, SupportEventEmitter: true}
	start := body(t, []any{map[string]any{"eventName": ServiceEventStart, "args": []any{st}}})
	name, got, err := ReadServiceEvent(start)
	if err != nil || name != ServiceEventStart || !reflect.DeepEqual(got, st) {
		t.Fatalf("start: %q %+v %v", name, got, err)
	}
	// Other keys are skipped, however deep: {args: <20,000 deep>, eventName: "tick"}.
	deep := append([]byte{0x91, 0x82}, AppendStr(nil, "args")...)
	deep = append(deep, nested(2*MaxDepth)...)
	deep = AppendStr(AppendStr(deep, "eventName"), "tick")
	if name, _, err := ReadServiceEvent(deep); err != nil || name != "tick" {
		t.Fatalf("deep args: %q %v", name, err)
	}
	stop := body(t, []any{map[string]any{"args": map[string]any{}, "eventName": ServiceEventStop}})
	if name, _, err := ReadServiceEvent(stop); err != nil || name != ServiceEventStop {
		t.Fatalf("stop: %q %v", name, err)
	}
	// A start whose status does not read leaves the status zero.
	bad := body(t, []any{map[string]any{"eventName": ServiceEventStart, "args": []any{map[string]any{"started": "yes"}}}})
	if name, got, err := ReadServiceEvent(bad); err != nil || name != ServiceEventStart || !reflect.DeepEqual(got, ServiceStatus{}) {
		t.Fatalf("bad start: %q %+v %v", name, got, err)
	}
}

func TestReadServiceName(t *testing.T) {
	for want, args := range map[string][]any{
		"calc":  {"calc"},
		"named": {map[string]any{"other": []any{1, 2}, "name": "named"}},
		"":      {map[string]any{"name": 3}},
	} {
		if got, err := ReadServiceName(body(t, args)); err != nil || got != want {
			t.Errorf("%v: %q, %v; want %q", args, got, err, want)
		}
	}
	if got, err := ReadServiceName(body(t, []any{})); err != nil || got != "" {
		t.Errorf("no args: %q %v", got, err)
	}
}
