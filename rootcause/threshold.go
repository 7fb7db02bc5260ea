// Package rootcause turns scored traces into explanations: the alarm
// threshold (mean − k·σ of the training scores), the root cause of each
// flagged trace (its least likely flow, and the automaton state there),
// rankings of root-cause states and of the connections behind them, and the
// CSV reports users read.
package rootcause

import (
	"errors"
	"fmt"
	"math"

	"github.com/netflow-monitor/monitor/learner"
)

// Threshold is the alarm threshold: Value = Mean − K·SD of the training
// traces' summed log-likelihoods (SD the sample standard deviation, n−1).
type Threshold struct {
	Mean, SD, K, Value float64
	N                  int
}

// NewThreshold computes the threshold of the training sums.
func NewThreshold(sums []float64, k float64) (Threshold, error) {
	if len(sums) < 2 {
		return Threshold{}, fmt.Errorf("%d training traces: need at least 2 for a standard deviation", len(sums))
	}
	if k < 0 || math.IsNaN(k) || math.IsInf(k, 0) {
		return Threshold{}, fmt.Errorf("sigma multiplier %v: must be a number >= 0", k)
	}
	var sum float64
	for _, s := range sums {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return Threshold{}, errors.New("a training score is not a finite number")
		}
		sum += s
	}
	mean := sum / float64(len(sums))
	var ss float64
	for _, s := range sums {
		ss += (s - mean) * (s - mean)
	}
	sd := math.Sqrt(ss / float64(len(sums)-1))
	return Threshold{Mean: mean, SD: sd, K: k, Value: mean - k*sd, N: len(sums)}, nil
}

// Anomalous reports whether a trace's sum is below the threshold.
func (t Threshold) Anomalous(sum float64) bool { return sum < t.Value }

// Position returns the root-cause position of a scored trace of n symbols:
// the index of its minimum per-symbol score, first on ties. The end score
// (after the n symbols) has no flow and is left out.
func Position(p *learner.Prediction, n int) int {
	n = min(n, len(p.Scores))
	best := 0
	for i := 1; i < n; i++ {
		if p.Scores[i] < p.Scores[best] {
			best = i
		}
	}
	return best
}
