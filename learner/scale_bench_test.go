package learner

import (
	"fmt"
	"testing"
)

// BenchmarkLearnScale learns from the sliding windows (10 symbols, stride
// 1) of a sparse Markov chain over 32 symbols, the shape of one service's
// flow windows, at two sizes, with the exhaustive search (every red state
// tested against each blue state) and with the default shortlist. The
// ratio of the two sizes' times is the growth the shortlist is for: the
// exhaustive search tests more red states per step as the data grows.
func BenchmarkLearnScale(b *testing.B) {
	for _, n := range []int{50_000, 200_000} {
		seq := markovSequence(5, 32, n)
		d := Windows(IntAlphabet(32), seq, 10, 1)
		for _, c := range []struct {
			name       string
			candidates int
		}{{"exhaustive", 0}, {"shortlist", DefaultOptions().MergeCandidates}} {
			b.Run(fmt.Sprintf("windows=%d/%s", n, c.name), func(b *testing.B) {
				o := DefaultOptions()
				o.FinalProb = false
				o.MergeCandidates = c.candidates
				b.ReportAllocs()
				for b.Loop() {
					m, err := Learn(b.Context(), d, o, nil)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(m.NumRed()), "red")
				}
			})
		}
	}
}
