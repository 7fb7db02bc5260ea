package learner

import "math"

// alergia is the ALERGIA heuristic (Carrasco & Oncina): every outcome's
// relative frequency in the two states must agree within the Hoeffding
// bound
//
//	|f_l/n_l - f_r/n_r| < sqrt(ln(2/alpha)/2) * (1/sqrt(n_l) + 1/sqrt(n_r))
//
// with alpha = Confidence. A single failing test rejects the merge at once.
// The score is the summed slack of all tests (bound minus difference), so
// merges with more, and more comfortable, agreement win. Rare outcomes are
// pooled and counts corrected as in likelihoodRatio. Unlike FlexFringe,
// the end-of-trace frequency is tested on its own when FinalProb is on.
type alergia struct {
	o     Options
	out   *outcomes
	slack float64
	k     float64 // sqrt(ln(2/alpha)/2)
}

func newAlergia(o Options, alphabet int) heuristic {
	return &alergia{o: o, out: newOutcomes(alphabet), k: math.Sqrt(0.5 * math.Log(2/o.Confidence))}
}

func (h *alergia) reset() { h.slack = 0 }

func (h *alergia) pair(t *tree, l, r int32) bool {
	if !tested(t, l, r, h.o) {
		return true
	}
	out := h.out
	out.load(t, l, r, h.o.FinalProb)
	p := out.pool(float64(h.o.SymbolCount), h.o.Correction)
	if (p.l1 != 0 || p.r1 != 0) && !h.test(p.l1, p.r1, p.ld, p.rd) {
		return false
	}
	if (p.l2 != 0 || p.r2 != 0) && !h.test(p.l2, p.r2, p.ld, p.rd) {
		return false
	}
	for i, lc := range out.left {
		if !h.test(lc, out.right[i], p.ld, p.rd) {
			return false
		}
	}
	return true
}

// test applies the Hoeffding bound to one outcome and adds its slack.
func (h *alergia) test(lc, rc, ld, rd float64) bool {
	if (lc == 0 && rc == 0) || ld == 0 || rd == 0 {
		return true
	}
	bound := h.k * (1/math.Sqrt(ld) + 1/math.Sqrt(rd))
	diff := math.Abs((lc+h.o.Correction)/ld - (rc+h.o.Correction)/rd)
	if diff > bound {
		return false
	}
	h.slack += bound - diff
	return true
}

func (h *alergia) result() (float64, bool) { return h.slack, true }
