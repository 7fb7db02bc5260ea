package learner

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestWriteDOTNotes: a state with a note is marked and labelled with it;
// symbols are named by SymbolName.
func TestWriteDOTNotes(t *testing.T) {
	syms := make([]int32, 300)
	for i := range syms {
		syms[i] = int32(i % 3)
	}
	d := &Dataset{Alphabet: IntAlphabet(3), Symbols: syms, Spans: AppendWindows(nil, 0, len(syms), 5, 1)}
	m, err := Learn(context.Background(), d, DefaultOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	o := DOTOptions{SymbolName: func(s int32) string { return "sym \"" + string(rune('a'+s)) + "\"" }, Notes: map[int]string{0: "root cause of 4 alarms"}}
	if err := m.WriteDOT(&b, o); err != nil {
		t.Fatal(err)
	}
	dot := b.String()
	for _, want := range []string{`q0 [label="q0\n`, `\nroot cause of 4 alarms", style="filled,bold"`, `label="sym \"a\"\np=`} {
		if !strings.Contains(dot, want) {
			t.Errorf("dot lacks %s:\n%s", want, dot)
		}
	}
}
