package detector

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
)

// stateFlows are flows of host 10.0.0.1 with ports cycling 0 1 2, one of
// them off the cycle, and a foreign flow among them.
func stateFlows() []flows.Flow {
	host := netip.MustParseAddr("10.0.0.1")
	peer := netip.MustParseAddr("192.0.2.9")
	var fs []flows.Flow
	for i := range 23 {
		f := flows.Flow{Start: int64(i) * 1e9, Src: host, Dst: peer, DstPort: uint16(i % 3), Proto: flows.ProtoTCP}
		if i == 9 {
			f.DstPort = 1
		}
		if i%4 == 1 {
			f.Src, f.Dst = peer, host
		}
		if i == 5 {
			f.Src, f.Dst = netip.MustParseAddr("10.0.0.2"), peer
		}
		fs = append(fs, f)
	}
	return fs
}

// TestRestore: a detector restored from another's state, at any point,
// makes the windows the other would have made, with the same scores and
// causes; the state shares nothing with the detector.
func TestRestore(t *testing.T) {
	host := netip.MustParseAddr("10.0.0.1")
	m := testModel(t)
	fs := stateFlows()
	judge := func(split int) []*Window {
		d := New(m, host)
		var out []*Window
		for i := range fs {
			if i == split {
				s := d.State()
				d = Restore(m, host, s)
				s.Recent = append(s.Recent[:0], make([]Recent, len(s.Recent))...) // the state is a copy
			}
			if w := d.Add(&fs[i]); w != nil {
				out = append(out, w.Clone())
			}
		}
		if w := d.End(); w != nil {
			out = append(out, w.Clone())
		}
		if d.Flows() != 22 || d.Foreign() != 1 {
			t.Errorf("split %d: flows %d, foreign %d, want 22 and 1", split, d.Flows(), d.Foreign())
		}
		return out
	}
	want := judge(-1)
	if len(want) != 18 {
		t.Fatalf("%d windows, want 18", len(want))
	}
	for split := range len(fs) + 1 {
		got := judge(split)
		for i := range max(len(got), len(want)) {
			if i >= len(got) || i >= len(want) {
				t.Errorf("restored before flow %d: %d windows, want %d", split, len(got), len(want))
				break
			}
			g, w := got[i], want[i]
			if g.Index != w.Index || g.First != w.First || g.Anomalous != w.Anomalous || !reflect.DeepEqual(g.Cause, w.Cause) ||
				!reflect.DeepEqual(g.Symbols, w.Symbols) || !reflect.DeepEqual(g.Score.Scores, w.Score.Scores) || g.Score.Sum != w.Score.Sum {
				t.Errorf("restored before flow %d: window %d is %+v, want %+v", split, i, g, w)
			}
		}
	}
}

// TestRestoreOtherModel: a new model takes over without a gap: the window
// numbers go on, the next window holds the earlier flows (encoded by the
// new model) and ends at the next flow; a model with a longer window than
// the flows kept starts its windows afresh from those flows.
func TestRestoreOtherModel(t *testing.T) {
	host := netip.MustParseAddr("10.0.0.1")
	m := testModel(t)
	tests := []struct {
		name      string
		window    int
		nextFirst int // First of the first window after the switch
		nextIndex int
	}{
		{"same window", 5, 4, 4},
		{"shorter window", 3, 6, 4},
		{"longer window: afresh from the kept flows", 7, 3, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := stateFlows()
			d := New(m, host)
			n := 0
			for i := 0; n < 8; i++ { // 8 flows of the host: windows 0-3 done
				if fs[i].Src == host || fs[i].Dst == host {
					n++
				}
				d.Add(&fs[i])
			}
			m2 := *m
			m2.Window = tc.window
			d = Restore(&m2, host, d.State())
			var w *Window
			for i := 9; w == nil; i++ {
				w = d.Add(&fs[i])
			}
			if w.Index != tc.nextIndex || w.First != tc.nextFirst || len(w.Symbols) != tc.window {
				t.Errorf("next window: index %d first %d, %d flows; want %d, %d, %d", w.Index, w.First, len(w.Symbols), tc.nextIndex, tc.nextFirst, tc.window)
			}
			var own []flows.Flow // the host's flows, by position
			for _, f := range fs {
				if f.Src == host || f.Dst == host {
					own = append(own, f)
				}
			}
			if c := w.Cause; c.Flow < w.First || c.Flow >= w.First+tc.window || c.Start != own[c.Flow].Start {
				t.Errorf("cause %+v: not a flow of the window, or not its start", c)
			}
		})
	}
}
