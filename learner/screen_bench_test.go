package learner

import "testing"

// BenchmarkScreen measures screen, the first-pair test of a blue state
// against every red state that the shortlist runs at each step: on the
// windows of a sparse Markov chain, midway through learning, every red
// state against the next blue state.
func BenchmarkScreen(b *testing.B) {
	d := Windows(IntAlphabet(32), markovSequence(5, 32, 200_000), 10, 1)
	o := DefaultOptions()
	o.FinalProb = false
	lr := newLikelihoodRatio(o, d.Alphabet.Len()).(*likelihoodRatio)
	s := newSearch(buildTree(d, tailsFit(o)), lr, o, d.Alphabet.Len())
	var blue int32
	for step := 0; ; step++ {
		bl, ok := s.blue.largest()
		if !ok {
			b.Fatal("learning ended before the benchmark's step")
		}
		if step == 3000 {
			blue = bl
			break
		}
		s.step([]int32{bl})
	}
	lr.blue(s.t, blue)
	screens := 0
	b.ResetTimer()
	for b.Loop() {
		for i, r := range s.reds[1:] {
			lr.screen(s.t, r, s.rows[i+1], blue)
		}
		screens += len(s.reds) - 1
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(screens), "ns/screen")
	b.ReportMetric(float64(len(s.reds)), "reds")
}
