package learner

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/input"
)

func fuzzTraces(f *testing.F, format string, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseTraces(strings.NewReader(in), "fuzz", format, nil, ReadOptions{})
		if err != nil {
			var fe *input.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *input.Error", err)
			}
			return
		}
		if err := d.validate(); err != nil {
			t.Fatalf("accepted an invalid dataset: %v", err)
		}
		if d.Len() > 0 && d.Len() < 200 && len(d.Symbols) < 2000 {
			m, err := Learn(t.Context(), d, DefaultOptions(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < d.Len(); i++ {
				if s := m.Score(d.Trace(i)).Sum; math.IsNaN(s) || math.IsInf(s, 0) {
					t.Fatalf("score %v", s)
				}
			}
		}
	})
}

func FuzzParsePAutomaC(f *testing.F) {
	fuzzTraces(f, FormatPAutomaC, []string{"3 4\n2 0 3\n0\n1 1\n", "2 3\n2 dns http\n3 http tls dns\n", "1 2\n3 0 1\n", ""})
}

func FuzzParseAbbadingo(f *testing.F) {
	fuzzTraces(f, FormatAbbadingo, []string{"2 2\n1 3 0 1 1\n0 1 0\n", "1 1\n-1 0\n", "1 2\n1\n"})
}

func FuzzModelJSON(f *testing.F) {
	m := mustLearn(f, geometric(), DefaultOptions())
	good, _ := m.MarshalJSON()
	f.Add(good)
	f.Add([]byte(`{"format":"netflow-monitor automaton","version":1}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Model
		if err := m.UnmarshalJSON(b); err != nil {
			return
		}
		// A model that loads must score without panicking, finitely.
		for _, tr := range [][]int32{{}, {0}, {0, 0, 1, Unknown}} {
			p := m.Score(tr)
			if math.IsNaN(p.Sum) || math.IsInf(p.Sum, 0) {
				t.Fatalf("score %v", p.Sum)
			}
		}
	})
}

// FuzzReadPredictions: ReadPredictions reads what the plain split-based
// reading does, row for row, and fails where it fails, at the same line and
// column.
func FuzzReadPredictions(f *testing.F) {
	var good bytes.Buffer
	pw, _ := NewPredictionWriter(&good)
	m := mustLearn(f, geometric(), DefaultOptions())
	for _, tr := range [][]int32{{}, {0}, {0, 0, 0}} {
		pw.Write("", tr, m.Alphabet().Name, m.Score(tr))
	}
	pw.Flush()
	f.Add(good.String())
	f.Add(PredictHeader + "\n1; \"0 2 a; b\"; [0,1]; [-1,-2]; -3; -1.5; -2\n\n2; \"0 0\"; []; []; 0; 0; 0\n")
	f.Add(PredictHeader + "\n1; \"0 1 a\"; [0,x]; [-1,-2]; -3; -1.5; -2\n")
	f.Add(PredictHeader + "\n1; [0]; [-1]; -1; -1; -1\n")
	f.Add(PredictHeader + "\n 7 ; \"\"; [1,,2]; [1,2,3]; 6; 2; 1\n")
	f.Add("row nr; other\n1; 2\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		got, gerr := readPredictions(strings.NewReader(in), "p.csv", 0)
		want, werr := readPredictionsSplit(strings.NewReader(in), "p.csv")
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("error %v, the split reading's %v", gerr, werr)
		}
		if gerr != nil {
			var g, w *input.Error
			if !errors.As(gerr, &g) || !errors.As(werr, &w) || g.Line != w.Line || g.Field != w.Field || g.Error() != w.Error() {
				t.Fatalf("error %v, the split reading's %v", gerr, werr)
			}
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%d rows, the split reading %d", len(got), len(want))
		}
		same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
		for i := range got {
			g, w := got[i], want[i]
			if g.Row != w.Row || !same(g.Sum, w.Sum) || !slices.Equal(g.States, w.States) || !slices.EqualFunc(g.Scores, w.Scores, same) {
				t.Fatalf("row %d: %+v, the split reading %+v", i, g, w)
			}
		}
	})
}
