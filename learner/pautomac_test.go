package learner

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// pautomacDir holds the PAutomaC problems shared beside the checkout.
const pautomacDir = "../../shared/data/pautomac"

// flexfringe is FlexFringe's PP/optimum ratio per shared problem, measured
// with likelihoodratio, state_count 10, symbol_count 5, sinkcount 50,
// correction 1, finalprob 1, largestblue 1 (../shared/README.md).
var flexfringe = map[int]struct {
	pdfa  bool
	ratio float64
}{
	6: {true, 1.000278}, 7: {true, 1.000485}, 9: {true, 1.000546}, 11: {true, 1.006421},
	13: {true, 1.000319}, 16: {true, 1.000256}, 18: {true, 1.000046}, 24: {true, 1.000422},
	1: {false, 1.133691}, 3: {false, 1.048918}, 4: {false, 1.004069}, 5: {false, 1.000068},
	12: {false, 1.042990}, 14: {false, 1.000774}, 20: {false, 1.018789}, 30: {false, 1.032414},
}

// pautomacRatio learns problem p with opts and returns PP / optimum.
func pautomacRatio(tb testing.TB, p int, o Options) float64 {
	tb.Helper()
	file := func(kind string) string { return filepath.Join(pautomacDir, fmt.Sprintf("%d.pautomac%s", p, kind)) }
	train, err := ReadTraces(tb.Context(), file(".train.gz"), FormatPAutomaC, nil, ReadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	m := mustLearn(tb, train, o)
	test, err := ReadTraces(tb.Context(), file(".test.gz"), FormatPAutomaC, m.Alphabet(), ReadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	truth, err := ReadSolution(tb.Context(), file("_solution.txt.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	cand := make([]float64, test.Len())
	logTruth := make([]float64, len(truth))
	var pr Prediction
	for i := range cand {
		m.ScoreInto(test.Trace(i), &pr)
		cand[i] = pr.Sum
	}
	for i, v := range truth {
		logTruth[i] = math.Log(v)
	}
	opt, err := Perplexity(truth, logTruth)
	if err != nil {
		tb.Fatal(err)
	}
	pp, err := Perplexity(truth, cand)
	if err != nil {
		tb.Fatal(err)
	}
	return pp / opt
}

// TestPAutomaCAcceptance: with default options, on every shared problem the
// perplexity ratio is at most FlexFringe's plus 0.0005, and the mean over
// the PDFA problems at most 1.001.
func TestPAutomaCAcceptance(t *testing.T) {
	if _, err := os.Stat(pautomacDir); err != nil {
		t.Skipf("PAutomaC data not found at %s (see ../shared/README.md): %v", pautomacDir, err)
	}
	var sum float64
	var n int
	for _, p := range []int{1, 3, 4, 5, 6, 7, 9, 11, 12, 13, 14, 16, 18, 20, 24, 30} {
		if _, err := os.Stat(filepath.Join(pautomacDir, fmt.Sprintf("%d.pautomac.train.gz", p))); err != nil {
			t.Logf("problem %d: absent, skipped", p)
			continue
		}
		ref := flexfringe[p]
		r := pautomacRatio(t, p, DefaultOptions())
		t.Logf("problem %2d: ratio %.6f (FlexFringe %.6f)", p, r, ref.ratio)
		if r > ref.ratio+0.0005 {
			t.Errorf("problem %d: ratio %.6f > FlexFringe %.6f + 0.0005", p, r, ref.ratio)
		}
		if ref.pdfa {
			sum += r
			n++
		}
	}
	if n > 0 {
		mean := sum / float64(n)
		t.Logf("mean ratio over %d PDFA problems: %.6f", n, mean)
		if mean > 1.001 {
			t.Errorf("mean PDFA ratio %.6f > 1.001", mean)
		}
	}
}
