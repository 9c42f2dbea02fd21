package browsertests

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
)

type emitterCase struct {
	Name  string     `json:"name"`
	Steps [][]any    `json:"steps"`
	Emits [][]string `json:"emits"`
}

// Listener registration in JS follows Node's EventEmitter: the Go engine's
// own table of cases, played through a connected page client whose emits
// are real sends through the hub.
func TestEmitterCasesInJS(t *testing.T) {
	raw, err := os.ReadFile("../shared/bus/testdata/emitter_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []emitterCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no cases in the table")
	}
	h := startHub(t, hub.Config{})
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	tb.eval(`T.connect("page")`, nil)
	cases, _ := json.Marshal(file.Cases)
	var got map[string]struct {
		Emits  [][]string `json:"emits"`
		Errors []string   `json:"errors"`
	}
	tb.eval(`T.runEmitterCases("page", `+string(cases)+`)`, &got)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			g, ok := got[tc.Name]
			if !ok {
				t.Fatal("case did not run")
			}
			for _, e := range g.Errors {
				t.Error(e)
			}
			if !reflect.DeepEqual(g.Emits, tc.Emits) {
				t.Errorf("calls per emit = %v, want %v", g.Emits, tc.Emits)
			}
		})
	}
}
