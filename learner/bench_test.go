package learner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func benchLearnProblem(b *testing.B, p int) {
	path := filepath.Join(pautomacDir, fmt.Sprintf("%d.pautomac.train.gz", p))
	if _, err := os.Stat(path); err != nil {
		b.Skipf("PAutomaC problem %d not found: %v", p, err)
	}
	d, err := ReadTraces(b.Context(), path, FormatPAutomaC, nil, ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Learn(context.Background(), d, DefaultOptions(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLearnPAutomaC6(b *testing.B)  { benchLearnProblem(b, 6) }
func BenchmarkLearnPAutomaC13(b *testing.B) { benchLearnProblem(b, 13) }
func BenchmarkLearnPAutomaC18(b *testing.B) { benchLearnProblem(b, 18) }

// BenchmarkLearnSynthetic needs no shared data: 50k traces of a 20-state PDFA.
func BenchmarkLearnSynthetic(b *testing.B) {
	d := samplePDFA(42, 20, 8, 50000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Learn(context.Background(), d, DefaultOptions(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScore reports scoring speed in symbols per second on one core.
func BenchmarkScore(b *testing.B) {
	d := samplePDFA(42, 20, 8, 50000)
	m := mustLearn(b, d, DefaultOptions())
	var p Prediction
	syms := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < d.Len(); i++ {
			m.ScoreInto(d.Trace(i), &p)
			syms += len(d.Trace(i))
		}
	}
	b.ReportMetric(float64(syms)/b.Elapsed().Seconds(), "symbols/s")
}

// BenchmarkBuildTree measures building the prefix tree of the sliding
// windows (size 10) over a 20-state PDFA's output, the shape of a busy
// service's training data.
func BenchmarkBuildTree(b *testing.B) {
	src := samplePDFA(42, 20, 40, 10000)
	d := &Dataset{Alphabet: src.Alphabet, Symbols: src.Symbols, Spans: AppendWindows(nil, 0, len(src.Symbols), 10, 1)}
	b.ReportAllocs()
	for b.Loop() {
		buildTree(d, true)
	}
}

// BenchmarkPredictionWriter reports the formatting speed of prediction rows
// (windows of ten symbols), written to io.Discard: the rows of a small
// learned model, and rows whose per-symbol scores take 16k distinct values,
// as those of a 380k-flow service's model do.
func BenchmarkPredictionWriter(b *testing.B) {
	src := samplePDFA(42, 20, 8, 5000)
	d := &Dataset{Alphabet: src.Alphabet, Symbols: src.Symbols, Spans: AppendWindows(nil, 0, len(src.Symbols), 10, 1)}
	m := mustLearn(b, d, DefaultOptions())
	preds := make([]Prediction, d.Len())
	for i := range preds {
		m.ScoreInto(d.Trace(i), &preds[i])
	}
	b.Run("learned", func(b *testing.B) { benchPredictionWriter(b, d, preds) })

	rng := rand.New(rand.NewPCG(7, 7))
	values := make([]float64, 16_000)
	for i := range values {
		values[i] = -20 * rng.Float64()
	}
	many := make([]Prediction, d.Len())
	for i := range many {
		p := &many[i]
		p.States = append(p.States, preds[i].States...)
		for range d.Trace(i) {
			p.Scores = append(p.Scores, values[rng.IntN(len(values))])
		}
		p.Sum, p.Min = 0, math.Inf(1)
		for _, s := range p.Scores {
			p.Sum += s
			p.Min = min(p.Min, s)
		}
		p.Mean = p.Sum / float64(len(p.Scores))
	}
	b.Run("distinct16k", func(b *testing.B) { benchPredictionWriter(b, d, many) })
}

func benchPredictionWriter(b *testing.B, d *Dataset, preds []Prediction) {
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		pw, err := NewPredictionWriter(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		for i := range preds {
			if err := pw.Write("", d.Trace(i), d.Alphabet.Name, &preds[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := pw.Flush(); err != nil {
			b.Fatal(err)
		}
		rows += len(preds)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadPredictions reads back the rows BenchmarkPredictionWriter
// writes.
func BenchmarkReadPredictions(b *testing.B) {
	src := samplePDFA(42, 20, 8, 5000)
	d := &Dataset{Alphabet: src.Alphabet, Symbols: src.Symbols, Spans: AppendWindows(nil, 0, len(src.Symbols), 10, 1)}
	m := mustLearn(b, d, DefaultOptions())
	var buf bytes.Buffer
	pw, err := NewPredictionWriter(&buf)
	if err != nil {
		b.Fatal(err)
	}
	var p Prediction
	for i := 0; i < d.Len(); i++ {
		m.ScoreInto(d.Trace(i), &p)
		if err := pw.Write("", d.Trace(i), d.Alphabet.Name, &p); err != nil {
			b.Fatal(err)
		}
	}
	if err := pw.Flush(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readPredictions(bytes.NewReader(buf.Bytes()), "bench", 0); err != nil {
			b.Fatal(err)
		}
	}
}
