package model

import (
	"math"
	"testing"
)

func TestThresholdByHand(t *testing.T) {
	tests := []struct {
		name            string
		sums            []float64
		k               float64
		mean, sd, value float64
	}{
		// mean -13; squared deviations 9+1+1+9 = 20; sd = sqrt(20/3).
		{"four", []float64{-10, -12, -14, -16}, 7, -13, math.Sqrt(20.0 / 3), -13 - 7*math.Sqrt(20.0/3)},
		{"k=0 is the mean", []float64{-10, -12, -14, -16}, 0, -13, math.Sqrt(20.0 / 3), -13},
		// two traces: sd = |a-b|/sqrt(2)
		{"two", []float64{-1, -3}, 2, -2, math.Sqrt2, -2 - 2*math.Sqrt2},
		{"constant", []float64{-5, -5, -5}, 7, -5, 0, -5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			thr, err := NewThreshold(tc.sums, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"mean", thr.Mean, tc.mean}, {"sd", thr.SD, tc.sd}, {"value", thr.Value, tc.value}} {
				if math.Abs(c.got-c.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if thr.N != len(tc.sums) || thr.K != tc.k {
				t.Errorf("N %d K %v, want %d %v", thr.N, thr.K, len(tc.sums), tc.k)
			}
		})
	}
	if thr, _ := NewThreshold([]float64{-10, -12, -14, -16}, 7); math.Abs(thr.Value-(-31.0739)) > 1e-4 {
		t.Errorf("hand value: threshold %v, want -31.0739", thr.Value)
	}
	// A sum equal to the threshold is not an anomaly; below it is.
	thr := Threshold{Value: -20}
	if thr.Anomalous(-20) || !thr.Anomalous(-20.0001) || thr.Anomalous(-3) {
		t.Error("Anomalous: want strictly below the threshold")
	}
}

func TestThresholdErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		sums []float64
		k    float64
	}{
		{"none", nil, 7},
		{"one trace", []float64{-3}, 7},
		{"negative k", []float64{-1, -2}, -1},
		{"NaN k", []float64{-1, -2}, math.NaN()},
		{"infinite score", []float64{-1, math.Inf(-1)}, 7},
		{"NaN score", []float64{-1, math.NaN()}, 7},
	} {
		if _, err := NewThreshold(tc.sums, tc.k); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
