package learner

import (
	"fmt"
	"math"
)

// Options control learning. The names and meanings follow FlexFringe's
// parameters of the same names; the defaults are this project's.
type Options struct {
	// Heuristic names the merge heuristic: "likelihoodratio" (default) or
	// "alergia". See Heuristics.
	Heuristic string `json:"heuristic"`
	// StateCount: states seen fewer times (paths plus ends) are not tested;
	// their pairs add nothing to a merge's statistic. Default 10.
	StateCount int `json:"state_count"`
	// SymbolCount: outcomes (symbols, end) seen fewer times than this are
	// pooled in the tests. Default 5.
	SymbolCount int `json:"symbol_count"`
	// SinkCount: blue states seen fewer times become sinks: they are not
	// merged and stay as their prefix subtree. Default 50.
	SinkCount int `json:"sink_count"`
	// Correction is the additive (Laplace) smoothing added to counts, in the
	// tests and in the predicted probabilities. Must be > 0 so that no event
	// gets probability zero. Default 1.
	Correction float64 `json:"correction"`
	// FinalProb models the end-of-trace probability: distributions are over
	// the alphabet plus "end". Default true.
	FinalProb bool `json:"finalprob"`
	// LargestBlue tries only the most frequent blue state in each step
	// (FlexFringe's largestblue); otherwise every blue state is tried.
	// Default true.
	LargestBlue bool `json:"largest_blue"`
	// MergeRoot allows merges into the root state. Default false.
	MergeRoot bool `json:"merge_root"`
	// Confidence is the test's significance parameter: the p-value below
	// which the likelihood-ratio test rejects a merge, and ALERGIA's alpha in
	// its Hoeffding bound. Default 0.05.
	Confidence float64 `json:"confidence"`
	// CoreScoring scores traces with the red core only: a transition into
	// a sink state is scored by the red state's counts, and the trace goes
	// on from the core state reached by its most recent symbols (see
	// Model.ScoreInto), instead of walking the sink's prefix subtree. Sink
	// subtrees are memorised training traces; walking them scores training
	// traces optimistically and new ones pessimistically, which skews an
	// alarm threshold set on training scores. Off by default; the monitor
	// turns it on.
	CoreScoring bool `json:"core_scoring"`
	// MergeCandidates bounds the red states whose merge with a blue state
	// is tested in full, so that a learning step does not test every red
	// state, whose number grows with the data. Every red state is screened
	// by the merge's first pair alone (the blue state against the red state
	// itself): a merge that pair rules out is dropped, which is exact. If
	// more than MergeCandidates are left, the 8·MergeCandidates whose first
	// pair fits best are ranked again by the pairs one level down, and the
	// MergeCandidates best tested. A step then chooses the exhaustive
	// search's merge unless that merge is ranked below them; the README's
	// Scale section gives the measured effect on models and detection.
	// 0 tests every red state (the exhaustive search). It applies to the
	// likelihood-ratio heuristic. Default 16. It is a setting of the
	// search, not of the model, and is not stored in model files.
	MergeCandidates int `json:"-"`
	// Workers is the number of goroutines that screen and rank merges side
	// by side (see MergeCandidates); 0 and 1 mean one. The model does not
	// depend on it. Default 1. It is not stored in model files.
	Workers int `json:"-"`
}

// DefaultOptions returns the project's defaults.
func DefaultOptions() Options {
	return Options{
		Heuristic:   "likelihoodratio",
		StateCount:  10,
		SymbolCount: 5,
		SinkCount:   50,
		Correction:  1,
		FinalProb:   true,
		LargestBlue: true,
		MergeRoot:   false,
		Confidence:  0.05,

		MergeCandidates: 16,
		Workers:         1,
	}
}

// Validate reports the first option that is out of range.
func (o Options) Validate() error {
	if _, err := newHeuristic(o, 1); err != nil {
		return err
	}
	switch {
	case o.StateCount < 0:
		return fmt.Errorf("state-count %d: must be >= 0", o.StateCount)
	case o.SymbolCount < 0:
		return fmt.Errorf("symbol-count %d: must be >= 0", o.SymbolCount)
	case o.Workers < 0:
		return fmt.Errorf("workers %d: must be >= 0", o.Workers)
	case o.MergeCandidates < 0:
		return fmt.Errorf("merge-candidates %d: must be >= 0 (0 tests every red state)", o.MergeCandidates)
	case o.SinkCount < 0:
		return fmt.Errorf("sink-count %d: must be >= 0", o.SinkCount)
	case !(o.Correction > 0) || math.IsInf(o.Correction, 0):
		return fmt.Errorf("correction %v: must be a finite number > 0 (it keeps unseen events' probabilities finite)", o.Correction)
	case !(o.Confidence > 0 && o.Confidence < 1):
		return fmt.Errorf("confidence %v: must be in (0, 1)", o.Confidence)
	}
	return nil
}
