package learner

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestHandCheckedGeometric: on a^n with halving counts every prefix-tree
// node has the same next-symbol distribution (end 1/2, a 1/2). The root may
// not be merged (merge-root off), so "a" becomes red, "aa" merges into it
// and the whole chain folds into a loop. By hand, with N_k = 1024 >> k
// traces of length >= k: q1 collects depths 1..10, so
// paths = N_2 + ... + N_10 = 511 and final = N_1 - N_11 = 512.
func TestHandCheckedGeometric(t *testing.T) {
	for _, h := range Heuristics() {
		t.Run(h, func(t *testing.T) {
			o := DefaultOptions()
			o.Heuristic = h
			m := mustLearn(t, geometric(), o)
			if m.NumStates() != 2 || m.NumRed() != 2 {
				t.Fatalf("states %d red %d, want 2 and 2", m.NumStates(), m.NumRed())
			}
			type state struct {
				paths, final int
				to, count    int
			}
			for q, w := range []state{{512, 512, 1, 512}, {511, 512, 1, 511}} {
				p, f := m.Counts(q)
				tr := m.Transitions(q)
				if p != w.paths || f != w.final || len(tr) != 1 || tr[0].To != w.to || tr[0].Count != w.count {
					t.Errorf("state %d: paths %d final %d transitions %+v, want %+v", q, p, f, tr, w)
				}
			}
			// Smoothing by hand: K=1, lambda=1, D = N + 3.
			if got, want := m.Transitions(0)[0].Prob, 513.0/1027; math.Abs(got-want) > 1e-12 {
				t.Errorf("P(a|q0) = %v, want %v", got, want)
			}
			if got, want := m.EndProb(1), 513.0/1026; math.Abs(got-want) > 1e-12 {
				t.Errorf("P(end|q1) = %v, want %v", got, want)
			}
			// Score of "a a": ln P(a|q0) + ln P(a|q1) + ln P(end|q1).
			p := m.Score([]int32{0, 0})
			want := math.Log(513.0/1027) + math.Log(512.0/1026) + math.Log(513.0/1026)
			if math.Abs(p.Sum-want) > 1e-12 || len(p.Scores) != 3 {
				t.Errorf("score(aa) = %v over %d scores, want %v over 3", p.Sum, len(p.Scores), want)
			}
			if got := []int32{0, 1, 1}; !equalInt32(p.States, got) {
				t.Errorf("states %v, want %v", p.States, got)
			}
		})
	}
}

// TestHandCheckedDistinct: after "x" traces loop on "b" and end with
// probability 1/2, after "y" they end with probability 1/8. Neither root
// child may merge into the root, and the two differ far beyond chance, so
// both heuristics must keep them apart: red states q0, qx, qy.
func TestHandCheckedDistinct(t *testing.T) {
	d := &Dataset{Alphabet: IntAlphabet(3)} // 0=x, 1=y, 2=b
	addLoop := func(first int32, endNum, endDen, total int) {
		// traces "first b^n" with geometric end probability endNum/endDen
		left := total
		for n := 0; left > 0; n++ {
			k := left * endNum / endDen
			if k == 0 {
				k = left
			}
			tr := []int32{first}
			for range n {
				tr = append(tr, 2)
			}
			for range k {
				d.Add(tr)
			}
			left -= k
		}
	}
	addLoop(0, 1, 2, 2000)
	addLoop(1, 1, 8, 2000)
	for _, h := range Heuristics() {
		t.Run(h, func(t *testing.T) {
			o := DefaultOptions()
			o.Heuristic = h
			m := mustLearn(t, d, o)
			tr := m.Transitions(0)
			if len(tr) != 2 {
				t.Fatalf("root transitions %+v, want two", tr)
			}
			qx, qy := tr[0].To, tr[1].To
			if qx == qy || !m.Red(qx) || !m.Red(qy) {
				t.Fatalf("x and y lead to %d and %d (red %v %v): want two distinct red states", qx, qy, m.Red(qx), m.Red(qy))
			}
			if ex, ey := m.EndProb(qx), m.EndProb(qy); !(math.Abs(ex-0.5) < 0.03 && math.Abs(ey-0.125) < 0.03) {
				t.Errorf("end probabilities %.3f and %.3f, want about 0.5 and 0.125", ex, ey)
			}
		})
	}
}

// TestMissingTransitionRestarts: on traces "x b^n" and "y b^n" (n < 8), the
// start state has transitions on x and y only and neither x nor y follows
// anything. A symbol without a transition is charged once and the trace
// goes on from the start state, as FlexFringe's predictreset does: what
// follows scores as it would at the start of a trace.
func TestMissingTransitionRestarts(t *testing.T) {
	const x, y, b = 0, 1, 2
	d := &Dataset{Alphabet: IntAlphabet(3)}
	for n := range 8 {
		tr := []int32{x}
		for range n {
			tr = append(tr, b)
		}
		d.Add(tr)
		tr[0] = y
		d.Add(tr)
	}
	o := DefaultOptions()
	o.FinalProb = false
	m := mustLearn(t, d, o)
	tr := m.Transitions(0)
	if len(tr) != 2 {
		t.Fatalf("root transitions %+v, want two", tr)
	}
	qx, qy := int32(tr[0].To), int32(tr[1].To)
	first := func(a int32) float64 { return m.Score([]int32{a}).Scores[0] }
	for _, c := range []struct {
		name      string
		trace     []int32
		states    []int32
		fallbacks int
		restarted map[int]int32 // position -> symbol scored as a first symbol
	}{
		{"known path", []int32{x, b}, []int32{0, qx}, 0, nil},
		{"y missing after x", []int32{x, y, b}, []int32{0, qx, 0}, 2, map[int]int32{2: b}},
		{"x missing after y, then y", []int32{y, x, y, b}, []int32{0, qy, 0, qy}, 1, map[int]int32{2: y}},
		{"b missing at the start", []int32{b, x, b}, []int32{0, 0, qx}, 1, map[int]int32{0: b, 1: x}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := m.Score(c.trace)
			if !equalInt32(p.States, c.states) || p.Fallbacks != c.fallbacks {
				t.Fatalf("states %v fallbacks %d, want %v and %d", p.States, p.Fallbacks, c.states, c.fallbacks)
			}
			for i, a := range c.restarted {
				if got, want := p.Scores[i], first(a); got != want {
					t.Errorf("score at %d = %v, want %v (symbol %d read from the start)", i, got, want, a)
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	d := samplePDFA(7, 8, 5, 3000)
	for _, h := range Heuristics() {
		o := DefaultOptions()
		o.Heuristic = h
		a, _ := mustLearn(t, d, o).MarshalJSON()
		b, _ := mustLearn(t, d, o).MarshalJSON()
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs gave different models", h)
		}
	}
}

func TestSaveLoadScoresEqual(t *testing.T) {
	d := samplePDFA(3, 10, 6, 4000)
	m := mustLearn(t, d, DefaultOptions())
	path := t.TempDir() + "/m.json"
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	l, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	test := samplePDFA(4, 10, 6, 500)
	test.Add([]int32{5, 5, 5, 5, 5, 5, 5, Unknown, 0, 99})
	for i := 0; i < test.Len(); i++ {
		a, b := m.Score(test.Trace(i)), l.Score(test.Trace(i))
		if a.Sum != b.Sum || !equalInt32(a.States, b.States) {
			t.Fatalf("trace %d: in memory %v %v, loaded %v %v", i, a.Sum, a.States, b.Sum, b.States)
		}
	}
	x, _ := m.MarshalJSON()
	y, _ := l.MarshalJSON()
	if !bytes.Equal(x, y) {
		t.Error("re-encoding a loaded model changed it")
	}
}

// TestProbabilitiesSumToOne: at every state the transitions, the symbols
// without a transition, the end and the unknown outcome sum to 1.
func TestProbabilitiesSumToOne(t *testing.T) {
	for _, final := range []bool{true, false} {
		o := DefaultOptions()
		o.FinalProb = final
		m := mustLearn(t, samplePDFA(11, 12, 7, 5000), o)
		k := m.Alphabet().Len()
		for q := 0; q < m.NumStates(); q++ {
			tr := m.Transitions(q)
			sum := m.EndProb(q) + m.OtherProb(q, Unknown)
			has := map[int32]bool{}
			for _, x := range tr {
				sum += x.Prob
				has[x.Symbol] = true
			}
			for a := int32(0); a < int32(k); a++ {
				if !has[a] {
					sum += m.OtherProb(q, a)
				}
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Fatalf("finalprob=%v state %d: probabilities sum to %v", final, q, sum)
			}
		}
	}
}

// TestUnseenScoresLower: replacing one symbol of a trace by one never seen
// in training lowers its score, wherever the replacement is, and scores stay
// finite.
func TestUnseenScoresLower(t *testing.T) {
	d := samplePDFA(5, 8, 5, 5000)
	m := mustLearn(t, d, DefaultOptions())
	for i := 0; i < 200; i++ {
		tr := d.Trace(i)
		if len(tr) == 0 {
			continue
		}
		base := m.Score(tr).Sum
		for _, pos := range []int{0, len(tr) / 2, len(tr) - 1} {
			for _, unseen := range []int32{Unknown, 1000} {
				mod := append([]int32(nil), tr...)
				mod[pos] = unseen
				p := m.Score(mod)
				if !(p.Sum < base) {
					t.Fatalf("trace %v with %d at %d scores %v, not below %v", tr, unseen, pos, p.Sum, base)
				}
				for _, s := range p.Scores {
					if math.IsInf(s, 0) || math.IsNaN(s) {
						t.Fatalf("non-finite score %v", s)
					}
				}
			}
		}
	}
}

func TestWindows(t *testing.T) {
	seq := []int32{0, 1, 2, 3, 4}
	tests := []struct {
		size, stride int
		want         []Span
	}{
		{3, 1, []Span{{0, 3}, {1, 4}, {2, 5}}},
		{2, 2, []Span{{0, 2}, {2, 4}}},
		{5, 1, []Span{{0, 5}}},
		{9, 1, []Span{{0, 5}}},
		{2, 3, []Span{{0, 2}, {3, 5}}},
	}
	for _, tc := range tests {
		d := Windows(IntAlphabet(5), seq, tc.size, tc.stride)
		if len(d.Spans) != len(tc.want) {
			t.Errorf("size %d stride %d: %v, want %v", tc.size, tc.stride, d.Spans, tc.want)
			continue
		}
		if cap(d.Spans) != len(d.Spans) {
			t.Errorf("size %d stride %d: room for %d spans, %d made", tc.size, tc.stride, cap(d.Spans), len(d.Spans))
		}
		for i := range tc.want {
			if d.Spans[i] != tc.want[i] {
				t.Errorf("size %d stride %d: %v, want %v", tc.size, tc.stride, d.Spans, tc.want)
			}
		}
	}
	if d := Windows(IntAlphabet(1), nil, 10, 1); d.Len() != 0 {
		t.Errorf("empty sequence gave %d windows", d.Len())
	}
}

func TestOptionsValidate(t *testing.T) {
	bad := []func(*Options){
		func(o *Options) { o.Heuristic = "nope" },
		func(o *Options) { o.Correction = 0 },
		func(o *Options) { o.Correction = math.NaN() },
		func(o *Options) { o.Confidence = 1 },
		func(o *Options) { o.StateCount = -1 },
		func(o *Options) { o.MergeCandidates = -1 },
		func(o *Options) { o.Workers = -2 },
	}
	for i, f := range bad {
		o := DefaultOptions()
		f(&o)
		if o.Validate() == nil {
			t.Errorf("case %d: %+v accepted", i, o)
		}
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCoreScoresLikeFull checks that the core model scores every trace,
// seen or not, exactly as the full model, also after a save and load.
func TestCoreScoresLikeFull(t *testing.T) {
	o := DefaultOptions()
	o.CoreScoring = true
	o.FinalProb = false
	d := samplePDFA(7, 12, 6, 300) // few traces: sinks remain
	full := mustLearn(t, d, o)
	core, err := full.Core()
	if err != nil {
		t.Fatal(err)
	}
	if core.NumStates() >= full.NumStates() || core.NumRed() != full.NumRed() || !core.IsCore() {
		t.Fatalf("core has %d states (%d red), full %d (%d red)", core.NumStates(), core.NumRed(), full.NumStates(), full.NumRed())
	}
	path := filepath.Join(t.TempDir(), "core.json")
	if err := core.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	probe := append([][]int32{{-1, 0, 1}, {int32(d.Alphabet.Len()) + 5}}, nil)
	for i := range d.Len() {
		probe = append(probe, d.Trace(i))
	}
	for _, tr := range probe {
		want := full.Score(tr).Sum
		for name, m := range map[string]*Model{"core": core, "loaded": loaded} {
			if got := m.Score(tr).Sum; got != want {
				t.Fatalf("%s scores %v as %v, full model %v", name, tr, got, want)
			}
		}
	}
	o.CoreScoring = false
	if _, err := mustLearn(t, d, o).Core(); err == nil {
		t.Fatal("Core of a model without core scoring: no error")
	}
}

// TestLearnNoTraces: there is nothing to learn from an empty data set, and
// Learn says so instead of returning a one-state automaton.
func TestLearnNoTraces(t *testing.T) {
	d := &Dataset{Alphabet: IntAlphabet(2)}
	if _, err := Learn(context.Background(), d, DefaultOptions(), nil); err == nil || !strings.Contains(err.Error(), "no traces") {
		t.Errorf("error %v, want \"no traces to learn from\"", err)
	}
}
