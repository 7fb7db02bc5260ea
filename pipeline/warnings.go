package pipeline

import (
	"errors"
	"fmt"
	"slices"

	"github.com/netflow-monitor/monitor/model"
)

// minTrustedWindows is how many training windows that share no flow a
// threshold needs at least: fewer than 10 give a standard deviation that
// is itself off by more than a third at 95 %. Overlapping windows count
// window/stride times.
const minTrustedWindows = 10

// maxNovelShare is the share of held-out windows holding a symbol their
// fold never saw beyond which the training does not yet show the unit's
// usual traffic: each fold then meets too much it has not learned, and the
// thresholds are too loose to fire.
const maxNovelShare = 0.25

// minSD is the least spread of training window scores (in nats, natural
// log units) that a threshold mean − k·σ can be set from. Below it every
// window scores alike to within a hundredth of a nat, so that the
// threshold sits at the mean: a window scored even slightly lower, by the
// whole-training model instead of a fold's, or by rounding, is an alarm,
// and every window of the same traffic can be one. Normal traffic spreads
// by nats (σ 3.2 on the shipped example's services).
const minSD = 0.01

// ErrDegenerate is wrapped by the error of a unit whose training cannot
// set a threshold: its windows all score alike (see degenerate).
var ErrDegenerate = errors.New("degenerate training")

// trainingWarnings says what a user should know about a unit's training:
// labelled malicious flows among its training flows (the model learns them
// as normal), too few training windows for its threshold to be trusted,
// and a training too short to show the unit's usual traffic.
func trainingWarnings(c *Config, enc *encoded, windows int, held heldScores) []string {
	var out []string
	if l := enc.labels; l.malicious > 0 {
		n := enc.info.Flows
		out = append(out, fmt.Sprintf("%d of its %d training flows (%.1f %%; %.1f %% of the %d labelled benign or malicious) are labelled malicious: the model learns them as normal",
			l.malicious, n, 100*float64(l.malicious)/float64(n), 100*float64(l.malicious)/float64(l.labelled), l.labelled))
	}
	if least := minTrustedWindows * c.Window / c.Stride; windows < least {
		out = append(out, fmt.Sprintf("%d training windows, fewer than %d (%d windows that share no flow): its threshold is not to be trusted; train on a longer period",
			windows, least, minTrustedWindows))
	} else if n := len(held.sums); n > 0 && float64(held.novel) > maxNovelShare*float64(n) {
		out = append(out, fmt.Sprintf("%d of its %d held-out training windows (%.0f %%) hold a kind of flow the rest of its training never saw: the training does not yet show the unit's usual traffic and its thresholds are loose (few alarms); train on a longer period",
			held.novel, n, 100*float64(held.novel)/float64(n)))
	}
	return out
}

// degenerate returns an error wrapping ErrDegenerate when a threshold of
// the unit (of windows, thr, or of their least likely flows, flow) has
// less spread than minSD: every window scores alike, so that no threshold
// tells normal from abnormal. It says why the windows are alike (one kind
// of flow, one window over and over) and what to do.
func degenerate(enc *encoded, thr, flow model.Threshold) error {
	which, t := "window", thr
	if flow.SD < thr.SD {
		which, t = "least likely flow", flow
	}
	if t.SD >= minSD {
		return nil
	}
	why := fmt.Sprintf("its %d training windows all score within %.2g nats of each other", t.N, t.SD)
	if kinds := distinctSymbols(enc); len(kinds) == 1 {
		why = fmt.Sprintf("its %d training flows are all one kind of flow (%s)", enc.info.Flows, enc.encoder.SymbolName(kinds[0]))
	} else if sameWindows(enc) {
		why = fmt.Sprintf("its %d training windows are all the same sequence of flows", enc.data.Len())
	}
	return fmt.Errorf("%w: %s, so the %s scores have σ = %.2g and a threshold of mean − %g·σ (%.4g) would flag any window scored even slightly lower; train on a longer period with the unit's usual variety of traffic (its previous model, if any, is kept)",
		ErrDegenerate, why, which, t.SD, t.K, t.Value)
}

// distinctSymbols returns the symbols of the unit's training flows, up to
// two (enough to tell one kind from several).
func distinctSymbols(enc *encoded) []int32 {
	var out []int32
	for _, s := range enc.data.Symbols {
		if !slices.Contains(out, s) {
			if out = append(out, s); len(out) == 2 {
				break
			}
		}
	}
	return out
}

// sameWindows reports whether every training window is the same sequence
// of symbols.
func sameWindows(enc *encoded) bool {
	d := enc.data
	for i := 1; i < d.Len(); i++ {
		if !slices.Equal(d.Trace(i), d.Trace(0)) {
			return false
		}
	}
	return d.Len() > 0
}
