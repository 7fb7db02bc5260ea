package detector

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
)

func TestCausePosition(t *testing.T) {
	tests := []struct {
		scores []float64
		n      int
		want   int
	}{
		{[]float64{-1, -5, -2}, 3, 1},
		{[]float64{-5, -1, -5}, 3, 0},       // first on ties
		{[]float64{-1, -2, -2, -0.5}, 4, 1}, // first on ties, not last
		{[]float64{-1, -2, -9}, 2, 1},       // the end score (index n) is left out
		{[]float64{-3}, 1, 0},
	}
	for _, tc := range tests {
		if got := CausePosition(tc.scores, tc.n); got != tc.want {
			t.Errorf("CausePosition(%v, %d) = %d, want %d", tc.scores, tc.n, got, tc.want)
		}
	}
}

// testAutomaton learns a small automaton over symbols 0..2 (a repeated
// 0 1 2 cycle), for scoring.
func testAutomaton(t *testing.T) *learner.Model {
	t.Helper()
	syms := make([]int32, 300)
	for i := range syms {
		syms[i] = int32(i % 3)
	}
	d := &learner.Dataset{Alphabet: learner.IntAlphabet(3), Symbols: syms, Spans: learner.AppendWindows(nil, 0, len(syms), 5, 1)}
	o := learner.DefaultOptions()
	o.FinalProb, o.CoreScoring = false, true
	m, err := learner.Learn(context.Background(), d, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestScorerWindows: the scorer's windows over sequences fed one symbol at
// a time are learner.AppendWindows' spans over them, in order, with the
// scores of scoring each span whole.
func TestScorerWindows(t *testing.T) {
	auto := testAutomaton(t)
	tests := []struct {
		name         string
		lengths      []int
		size, stride int
	}{
		{"one sequence", []int{12}, 5, 1},
		{"stride 3", []int{12}, 5, 3},
		{"stride beyond the window", []int{20}, 4, 7},
		{"exactly one window", []int{5}, 5, 1},
		{"short sequence", []int{3}, 5, 1},
		{"segments never share a window", []int{7, 2, 0, 9}, 5, 2},
		{"window of one", []int{4, 1}, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var syms []int32
			for _, n := range tc.lengths {
				for i := range n {
					syms = append(syms, int32((i*7+n)%4)) // 3 is outside the alphabet
				}
			}
			want := Spans(tc.lengths, tc.size, tc.stride)
			sc := NewScorer(auto, tc.size, tc.stride)
			var got []learner.Span
			check := func(w *Window) {
				if w == nil {
					return
				}
				sp := learner.Span{Start: int32(w.First), End: int32(w.First + len(w.Symbols))}
				if w.Index != len(got) {
					t.Errorf("window %d has index %d", len(got), w.Index)
				}
				got = append(got, sp)
				p := auto.Score(syms[sp.Start:sp.End])
				if !slices.Equal(w.Symbols, syms[sp.Start:sp.End]) || w.Score.Sum != p.Sum || !slices.Equal(w.Score.States, p.States) {
					t.Errorf("window %v: symbols %v sum %v, want %v sum %v", sp, w.Symbols, w.Score.Sum, syms[sp.Start:sp.End], p.Sum)
				}
				if c := w.Cause; c.Index != CausePosition(p.Scores, len(w.Symbols)) || c.Flow != w.First+c.Index || c.State != p.States[c.Index] {
					t.Errorf("window %v: cause %+v", sp, c)
				}
			}
			off := 0
			for _, n := range tc.lengths {
				for _, s := range syms[off : off+n] {
					check(sc.Add(s, 0))
				}
				check(sc.End())
				off += n
			}
			if !slices.Equal(got, want) {
				t.Errorf("windows %v, want %v", got, want)
			}
			if sc.Windows() != len(want) {
				t.Errorf("Windows() = %d, want %d", sc.Windows(), len(want))
			}
		})
	}
}

// testModel is a service model of host 10.0.0.1 whose encoder gives a
// flow's destination port modulo 3 as its symbol, with a threshold of -5.
func testModel(t *testing.T) *model.Model {
	return &model.Model{Unit: "10.0.0.1", Window: 5, Stride: 1, Encoder: portEncoder{},
		Threshold: model.Threshold{Value: -5, K: 7, N: 2}, Automaton: testAutomaton(t)}
}

type portEncoder struct{}

func (portEncoder) Kind() string                      { return "port" }
func (portEncoder) Encode(f *flows.Features) int32    { return int32(f.DstPort % 3) }
func (portEncoder) AlphabetSize() int                 { return 3 }
func (portEncoder) Describe(s int32) string           { return fmt.Sprint("port ", s) }
func (portEncoder) FlowName(f *flows.Features) string { return fmt.Sprint(f.DstPort) }
func (portEncoder) Words(f *flows.Features) string    { return fmt.Sprint("port ", f.DstPort) }
func (portEncoder) SymbolName(s int32) string         { return fmt.Sprint(s) }

// TestDetector: flows of the host are judged in order; others are counted
// and left out; a window is anomalous below the threshold, and its cause
// names the least likely flow's time, direction, peer and port.
func TestDetector(t *testing.T) {
	host := netip.MustParseAddr("10.0.0.1")
	peer := netip.MustParseAddr("192.0.2.9")
	other := netip.MustParseAddr("10.0.0.2")
	m := testModel(t)
	d := New(m, host)
	var ports []uint16
	for i := range 12 {
		ports = append(ports, uint16(i%3))
	}
	ports[8] = 1 // breaks the cycle: 0 1 2 0 1 2 0 1 [1] 0 1 2
	var windows []*Window
	for i, p := range ports {
		f := flows.Flow{Start: int64(i) * 1e9, Src: host, Dst: peer, DstPort: p, Proto: flows.ProtoTCP}
		if i%2 == 1 {
			f.Src, f.Dst = peer, host
		}
		if w := d.Add(&f); w != nil {
			windows = append(windows, w.Clone())
		}
		if w := d.Add(&flows.Flow{Start: int64(i) * 1e9, Src: other, Dst: peer}); w != nil {
			t.Fatal("a foreign flow completed a window")
		}
	}
	if w := d.End(); w != nil {
		t.Fatal("End gave a window after full ones")
	}
	if d.Flows() != 12 || d.Foreign() != 12 || d.Windows() != 8 || len(windows) != 8 {
		t.Fatalf("flows %d foreign %d windows %d (%d), want 12, 12, 8", d.Flows(), d.Foreign(), d.Windows(), len(windows))
	}
	for _, w := range windows {
		if w.Start != int64(w.First)*1e9 || w.End != int64(w.First+len(w.Symbols)-1)*1e9 {
			t.Errorf("window %d spans %d to %d, want its first and last flows' starts", w.Index, w.Start, w.End)
		}
		covers := w.First <= 8 && 8 < w.First+5
		if w.Anomalous != (w.Score.Sum < -5) {
			t.Errorf("window %d: anomalous %v with sum %v", w.Index, w.Anomalous, w.Score.Sum)
		}
		if covers && w.Cause.Flow != 8 {
			t.Errorf("window %d covers the odd flow but blames flow %d", w.Index, w.Cause.Flow)
		}
		if covers {
			c := w.Cause
			if c.Start != 8e9 || c.Conn != (flows.Connection{Direction: flows.Outbound, Peer: peer, Port: 1}) {
				t.Errorf("window %d: cause %+v, want flow 8 at 8 s, outbound to %v port 1", w.Index, c, peer)
			}
		}
	}
	if !windows[4].Anomalous || windows[0].Anomalous {
		t.Errorf("sums %v, %v: want the window with the odd flow anomalous at -5, the first not", windows[4].Score.Sum, windows[0].Score.Sum)
	}

	// Fewer flows than the window: one short window at the end.
	d = New(m, host)
	for i := range 3 {
		if w := d.Add(&flows.Flow{Start: int64(i), Src: peer, Dst: host, DstPort: uint16(i)}); w != nil {
			t.Fatal("a window before the end")
		}
	}
	w := d.End()
	if w == nil || len(w.Symbols) != 3 || w.First != 0 || w.Cause.Conn.Direction != flows.Inbound {
		t.Fatalf("short window %+v", w)
	}
}

// TestScorerCosts: a flow's cost lowers its score, the window's sum and
// min, and can make it the root cause.
func TestScorerCosts(t *testing.T) {
	auto := testAutomaton(t)
	plain, costly := NewScorer(auto, 3, 1), NewScorer(auto, 3, 1)
	var a, b *Window
	for i, s := range []int32{0, 1, 2} {
		cost := 0.0
		if i == 1 {
			cost = 9
		}
		a, b = plain.Add(s, 0), costly.Add(s, cost)
	}
	if a == nil || b == nil {
		t.Fatal("no window")
	}
	if d := a.Score.Sum - b.Score.Sum; math.Abs(d-9) > 1e-9 {
		t.Errorf("sum %v with the cost, %v without: want 9 less", b.Score.Sum, a.Score.Sum)
	}
	if b.Score.Scores[1] != a.Score.Scores[1]-9 || b.Score.Min != b.Score.Scores[1] || b.Cause.Index != 1 {
		t.Errorf("scores %v, min %v, cause %d: want the costly flow least likely", b.Score.Scores, b.Score.Min, b.Cause.Index)
	}
}
