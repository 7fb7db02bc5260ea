package pipeline

import "fmt"

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
