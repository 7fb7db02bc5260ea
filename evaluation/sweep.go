package evaluation

import (
	"math"

	"github.com/netflow-monitor/monitor/model"
)

// ScoredTrace is the run's view of a window: its score (the sum of its
// flows'), its least likely flow's score, and that flow's position.
type ScoredTrace struct {
	Sum       float64
	Min       float64
	RootCause int
}

// Thresholds are a model's thresholds as values: on a window's score, and
// on its least likely flow's (-Inf for models without one).
type Thresholds struct {
	Sum, Flow float64
}

// At returns m's thresholds at sigma multiplier k (the model's own k
// gives the run's).
func At(m *model.Model, k float64) Thresholds {
	t := Thresholds{Sum: m.Threshold.Mean - k*m.Threshold.SD, Flow: math.Inf(-1)}
	if f := m.FlowThreshold; f != nil {
		t.Flow = f.Mean - k*f.SD
	}
	return t
}

// AtThreshold turns scored traces into verdicts: flagged when the window's
// score or its least likely flow's is below its threshold.
func AtThreshold(traces []ScoredTrace, thr Thresholds) []Verdict {
	out := make([]Verdict, len(traces))
	for i, t := range traces {
		out[i] = Verdict{Flagged: t.Sum < thr.Sum || t.Min < thr.Flow, RootCause: t.RootCause}
	}
	return out
}

// SweepPoint is the overall metrics at one sigma multiplier k.
type SweepPoint struct {
	K       float64 `json:"k"`
	Metrics Metrics `json:"metrics"`
}

// DefaultKs are the multipliers a sweep reports: 1 to 10 in steps of 0.5.
func DefaultKs() []float64 {
	var ks []float64
	for k := 1.0; k <= 10; k += 0.5 {
		ks = append(ks, k)
	}
	return ks
}
