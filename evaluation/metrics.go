package evaluation

import (
	"encoding/json"

	"github.com/netflow-monitor/monitor/learner"
)

// Counts are a detector's confusion counts over labelled traces, and how
// many of its true alarms blamed a malicious flow.
type Counts struct {
	Traces    int // all traces, labelled or not
	TP, FP    int
	TN, FN    int
	Hits      int // true positives whose root-cause flow is malicious
	HitsKnown int // true positives with a root-cause flow
}

// Add sums two counts.
func (c Counts) Add(o Counts) Counts {
	return Counts{c.Traces + o.Traces, c.TP + o.TP, c.FP + o.FP, c.TN + o.TN, c.FN + o.FN, c.Hits + o.Hits, c.HitsKnown + o.HitsKnown}
}

// Metrics are the rates derived from Counts. A rate whose denominator is
// zero is reported as 0 (JSON has no NaN); the counts beside it tell.
type Metrics struct {
	Traces           int     `json:"traces"`
	Evaluated        int     `json:"evaluated"`
	TP               int     `json:"tp"`
	FP               int     `json:"fp"`
	TN               int     `json:"tn"`
	FN               int     `json:"fn"`
	Precision        float64 `json:"precision"`
	Recall           float64 `json:"recall"`
	F1               float64 `json:"f1"`
	BalancedAccuracy float64 `json:"balanced_accuracy"`
	FPR              float64 `json:"fpr"`
	RootCauseHitRate float64 `json:"root_cause_hit_rate"`
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Metrics computes the rates.
func (c Counts) Metrics() Metrics {
	m := Metrics{Traces: c.Traces, Evaluated: c.TP + c.FP + c.TN + c.FN, TP: c.TP, FP: c.FP, TN: c.TN, FN: c.FN}
	m.Precision = ratio(c.TP, c.TP+c.FP)
	m.Recall = ratio(c.TP, c.TP+c.FN)
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	m.FPR = ratio(c.FP, c.FP+c.TN)
	tnr := ratio(c.TN, c.FP+c.TN)
	switch {
	case c.TP+c.FN > 0 && c.FP+c.TN > 0:
		m.BalancedAccuracy = (m.Recall + tnr) / 2
	case c.TP+c.FN > 0:
		m.BalancedAccuracy = m.Recall
	case c.FP+c.TN > 0:
		m.BalancedAccuracy = tnr
	}
	m.RootCauseHitRate = ratio(c.Hits, c.HitsKnown)
	return m
}

// Verdict is a detector's decision on one trace: whether it raised an
// alarm, and the position in the trace of the flow it blames (-1: none).
type Verdict struct {
	Flagged   bool
	RootCause int
}

// Count scores verdicts on one host's traces. classes holds the class of
// each of the host's flows in time order; spans the traces as ranges of it.
func Count(classes []Class, spans []learner.Span, verdicts []Verdict) Counts {
	c := Counts{Traces: len(spans)}
	for i, sp := range spans {
		v := verdicts[i]
		switch TraceClass(classes[sp.Start:sp.End]) {
		case Malicious:
			if !v.Flagged {
				c.FN++
				continue
			}
			c.TP++
			if v.RootCause >= 0 && int(sp.Start)+v.RootCause < int(sp.End) {
				c.HitsKnown++
				if classes[int(sp.Start)+v.RootCause] == Malicious {
					c.Hits++
				}
			}
		case Benign:
			if v.Flagged {
				c.FP++
			} else {
				c.TN++
			}
		}
	}
	return c
}

// Defined says which of m's rates have a denominator: a host with no
// malicious window has no recall, one with no alarm no precision, one
// with no benign window no false-positive rate.
func (m Metrics) Defined() (precision, recall, fpr bool) {
	return m.TP+m.FP > 0, m.TP+m.FN > 0, m.FP+m.TN > 0
}

// MarshalJSON writes the rates that have no denominator as null, not 0.
func (m Metrics) MarshalJSON() ([]byte, error) { return json.Marshal(m.forJSON()) }

// metricsJSON is Metrics as JSON: a rate without a denominator is null.
type metricsJSON struct {
	Traces           int      `json:"traces"`
	Evaluated        int      `json:"evaluated"`
	TP               int      `json:"tp"`
	FP               int      `json:"fp"`
	TN               int      `json:"tn"`
	FN               int      `json:"fn"`
	Precision        *float64 `json:"precision"`
	Recall           *float64 `json:"recall"`
	F1               *float64 `json:"f1"`
	BalancedAccuracy *float64 `json:"balanced_accuracy"`
	FPR              *float64 `json:"fpr"`
	RootCauseHitRate *float64 `json:"root_cause_hit_rate"`
}

func (m Metrics) forJSON() metricsJSON {
	p, r, f := m.Defined()
	rate := func(v float64, ok bool) *float64 {
		if !ok {
			return nil
		}
		return &v
	}
	return metricsJSON{m.Traces, m.Evaluated, m.TP, m.FP, m.TN, m.FN, rate(m.Precision, p), rate(m.Recall, r), rate(m.F1, p && r),
		rate(m.BalancedAccuracy, r || f), rate(m.FPR, f), rate(m.RootCauseHitRate, m.TP > 0)}
}
