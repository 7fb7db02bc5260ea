package learner

import (
	"math/rand/v2"
	"testing"
)

// markovSequence draws n symbols from a sparse random Markov chain over k
// symbols (each symbol has a handful of likely successors), deterministic.
func markovSequence(seed uint64, k, n int) []int32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	succ := make([][]int32, k)
	for a := range succ {
		for range 4 {
			succ[a] = append(succ[a], int32(rng.IntN(k)))
		}
	}
	seq := make([]int32, n)
	a := int32(0)
	for i := range seq {
		if rng.Float64() < 0.05 {
			a = int32(rng.IntN(k))
		} else {
			a = succ[a][rng.IntN(4)]
		}
		seq[i] = a
	}
	return seq
}

// BenchmarkLearnWindows learns from 200k sliding windows of 10 over a
// 200-symbol alphabet, the shape of one busy service's flow traces.
func BenchmarkLearnWindows(b *testing.B) {
	seq := markovSequence(1, 200, 200_000)
	d := Windows(IntAlphabet(200), seq, 10, 1)
	b.ReportAllocs()
	for b.Loop() {
		m, err := Learn(b.Context(), d, DefaultOptions(), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(m.NumStates()), "states")
	}
}

// BenchmarkScoreWindows scores the same windows: the monitor's hot loop,
// with the learned model, and with core scoring and the core model (what
// monitoring loads).
func BenchmarkScoreWindows(b *testing.B) {
	seq := markovSequence(1, 200, 200_000)
	d := Windows(IntAlphabet(200), seq, 10, 1)
	m, err := Learn(b.Context(), d, DefaultOptions(), nil)
	if err != nil {
		b.Fatal(err)
	}
	opts := DefaultOptions()
	opts.CoreScoring = true
	cm, err := Learn(b.Context(), d, opts, nil)
	if err != nil {
		b.Fatal(err)
	}
	core, err := cm.Core()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		m    *Model
	}{{"full", m}, {"core", core}} {
		b.Run(bc.name, func(b *testing.B) {
			var p Prediction
			b.ReportAllocs()
			for b.Loop() {
				for i := 0; i < d.Len(); i++ {
					bc.m.ScoreInto(d.Trace(i), &p)
				}
			}
			b.ReportMetric(float64(d.Len()*b.N)/b.Elapsed().Seconds(), "windows/s")
		})
	}
}
