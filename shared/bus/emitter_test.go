package bus

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

type EmitterCase struct {
	Name  string     `json:"name"`
	Steps [][]any    `json:"steps"`
	Emits [][]string `json:"emits"`
}

func LoadEmitterCases(t *testing.T) []EmitterCase {
	b, err := os.ReadFile("testdata/emitter_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []EmitterCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	return file.Cases
}

// runEmitterCase plays one case against e, emitting with emit (which must
// call the listeners of "ch" before it returns) and returns the labels
// called per emit.
func RunEmitterCase(t *testing.T, tc EmitterCase, add func(label string, fn Listener, opts ...ListenOption), off func(label string), removeAll func(), count func() int, emit func()) [][]string {
	var got [][]string
	var calls []string
	for _, step := range tc.Steps {
		op, _ := step[0].(string)
		label, _ := step[1%len(step)].(string)
		record := func(l string) Listener { return func(*Event) { calls = append(calls, l) } }
		switch op {
		case "on":
			add(label, record(label))
		case "once":
			add(label, record(label), Once())
		case "prepend":
			add(label, record(label), Prepend())
		case "prependOnce":
			add(label, record(label), Prepend(), Once())
		case "off":
			off(label)
		case "removeAll":
			removeAll()
		case "offDuring":
			victim := step[2].(string)
			add(label, func(*Event) { calls = append(calls, label); off(victim) })
		case "addDuring":
			extra := step[2].(string)
			add(label, func(*Event) { calls = append(calls, label); add(extra, record(extra)) })
		case "emit":
			calls = []string{}
			emit()
			got = append(got, calls)
		case "count":
			if n := count(); n != int(step[1].(float64)) {
				t.Errorf("%s: listenerCount = %d, want %v", tc.Name, n, step[1])
			}
		default:
			t.Fatalf("%s: unknown step %q", tc.Name, op)
		}
	}
	return got
}

// TestEmitterCases runs the shared table of EventEmitter cases against the
// engine's listener registry directly; the end-to-end and browser tests run
// the same table through a connected client.
func TestEmitterCases(t *testing.T) {
	for _, tc := range LoadEmitterCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			var e emitter
			ids := map[string][]ListenerID{}
			add := func(label string, fn Listener, opts ...ListenOption) {
				ids[label] = append(ids[label], e.add("ch", fn, append(opts, WithKey(label))))
			}
			off := func(label string) {
				infos := e.infos("ch")
				for i := len(infos) - 1; i >= 0; i-- {
					if infos[i].Key == label {
						e.remove("ch", infos[i].ID)
						return
					}
				}
			}
			emit := func() {
				for _, l := range e.snapshot("ch") {
					l.fn(&Event{Channel: "ch"})
				}
			}
			got := RunEmitterCase(t, tc, add, off, func() { e.removeAll("", true) }, func() int { return e.count("ch") }, emit)
			if !reflect.DeepEqual(got, tc.Emits) {
				t.Errorf("calls per emit = %v, want %v", got, tc.Emits)
			}
		})
	}
}

func TestEmitterTellsFirstAndLast(t *testing.T) {
	var events []string
	e := emitter{
		onFirst: func(ch string) { events = append(events, "+"+ch) },
		onLast:  func(ch string) { events = append(events, "-"+ch) },
	}
	a := e.add("x", func(*Event) {}, nil)
	b := e.add("x", func(*Event) {}, []ListenOption{Once()})
	e.add("y", func(*Event) {}, nil)
	e.remove("x", a)
	e.snapshot("x") // fires the once listener b
	e.remove("x", b)
	e.removeAll("", true)
	want := []string{"+x", "+y", "-x", "-y"}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("subscription changes = %v, want %v", events, want)
	}
}
