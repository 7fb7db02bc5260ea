package model

import (
	"errors"
	"fmt"
	"math"
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

// Validate checks a threshold read from a file: at least 2 training
// traces, finite numbers, SD and K not negative, and Value = Mean − K·SD
// (Value is derived: to move the threshold, change K and Value together).
func (t Threshold) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"mean", t.Mean}, {"sd", t.SD}, {"k", t.K}, {"value", t.Value}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("threshold %s %v: not a finite number", f.name, f.v)
		}
	}
	switch {
	case t.N < 2:
		return fmt.Errorf("threshold n %d: it needs at least 2 training traces (is the threshold missing?)", t.N)
	case t.SD < 0:
		return fmt.Errorf("threshold sd %v: negative", t.SD)
	case t.K < 0:
		return fmt.Errorf("threshold k %v: negative", t.K)
	}
	if want := t.Mean - t.K*t.SD; math.Abs(t.Value-want) > 1e-9*max(1, math.Abs(want)) {
		return fmt.Errorf("threshold value %v is not mean - k*sd = %v (value is derived: change k and value together)", t.Value, want)
	}
	return nil
}

// Anomalous reports whether a trace's sum is below the threshold.
func (t Threshold) Anomalous(sum float64) bool { return sum < t.Value }
