package learner

import (
	"bytes"
	"testing"
)

// TestContinuePredictionWriter: a file written in two parts, the second by
// a writer that continues the first, is the file written in one go.
func TestContinuePredictionWriter(t *testing.T) {
	p := &Prediction{States: []int32{0, 1}, Scores: []float64{-0.5, -1.25}, Sum: -1.75, Mean: -0.875, Min: -1.25}
	name := func(s int32) string { return string(rune('a' + s)) }
	var whole, parts bytes.Buffer
	pw, _ := NewPredictionWriter(&whole)
	for range 3 {
		pw.Write("", []int32{0, 1}, name, p)
	}
	pw.Flush()
	pw, _ = NewPredictionWriter(&parts)
	pw.Write("", []int32{0, 1}, name, p)
	pw.Flush()
	pw = ContinuePredictionWriter(&parts, 1)
	pw.Write("", []int32{0, 1}, name, p)
	pw.Write("", []int32{0, 1}, name, p)
	pw.Flush()
	if !bytes.Equal(whole.Bytes(), parts.Bytes()) {
		t.Errorf("continued:\n%s\nwant:\n%s", parts.Bytes(), whole.Bytes())
	}
}
