package evaluation

// ScoredTrace is the automaton's view of a trace: its summed
// log-likelihood and the position of its least likely flow.
type ScoredTrace struct {
	Sum       float64
	RootCause int
}

// AtThreshold turns scored traces into verdicts: flagged below threshold.
func AtThreshold(traces []ScoredTrace, threshold float64) []Verdict {
	out := make([]Verdict, len(traces))
	for i, t := range traces {
		out[i] = Verdict{Flagged: t.Sum < threshold, RootCause: t.RootCause}
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
