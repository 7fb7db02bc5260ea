package detector

import (
	"testing"
)

func TestCausePosition(t *testing.T) {
	tests := []struct {
		scores []float64
		n      int
		want   int
	}{
		{[]float64{-1, -5, -2}, 3, 1},
		{[]float64{-5, -1, -5}, 3, 0},       // first on ties
		{[]float64{-1, -2, -2, -0.5}, 4, 1}, // first on ties, not last
		{[]float64{-1, -2, -9}, 2, 1},       // the end score (index n) is left out
		{[]float64{-3}, 1, 0},
	}
	for _, tc := range tests {
		if got := CausePosition(tc.scores, tc.n); got != tc.want {
			t.Errorf("CausePosition(%v, %d) = %d, want %d", tc.scores, tc.n, got, tc.want)
		}
	}
}
