package learner

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func fuzzTraces(f *testing.F, format string, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseTraces(strings.NewReader(in), "fuzz", format, nil)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FileError", err)
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
