package learner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// Perplexity is the PAutomaC score of a candidate model on a test set:
// with the true probabilities P and the candidate's C both normalised over
// the test strings, PP = 2^(-sum_x P(x) log2 C(x)). truth holds the true
// probabilities and logCand the candidate's natural-log probabilities
// (Prediction.Sum), one per test string in order. The true machine's own
// perplexity, Perplexity(truth, log(truth)), is the optimum.
func Perplexity(truth, logCand []float64) (float64, error) {
	if len(truth) != len(logCand) {
		return 0, fmt.Errorf("perplexity: %d true probabilities, %d candidate scores", len(truth), len(logCand))
	}
	var st float64
	for _, t := range truth {
		if t < 0 || math.IsNaN(t) || math.IsInf(t, 0) {
			return 0, fmt.Errorf("perplexity: true probability %v is not a probability", t)
		}
		st += t
	}
	if st == 0 {
		return 0, errors.New("perplexity: the true probabilities sum to 0")
	}
	// log of the candidate's normaliser, computed stably.
	mx := math.Inf(-1)
	for _, c := range logCand {
		if math.IsNaN(c) {
			return 0, errors.New("perplexity: a candidate score is NaN")
		}
		mx = math.Max(mx, c)
	}
	if math.IsInf(mx, -1) {
		return math.Inf(1), nil
	}
	var z float64
	for _, c := range logCand {
		z += math.Exp(c - mx)
	}
	logZ := mx + math.Log(z)
	var h float64
	for i, t := range truth {
		if t == 0 {
			continue
		}
		if math.IsInf(logCand[i], -1) {
			return math.Inf(1), nil
		}
		h -= t / st * (logCand[i] - logZ) / math.Ln2
	}
	return math.Exp2(h), nil
}

// ReadSolution reads a PAutomaC solution file (".gz" or plain): a first line
// with the count, then one probability a line. Only a regular file is read
// (see input.Open), with lines of at most input.DefaultMaxLine bytes, and
// reading stops with ctx's error once ctx is done.
func ReadSolution(ctx context.Context, path string) ([]float64, error) {
	f, err := input.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read solution: %w", err)
	}
	defer f.Close()
	r, err := maybeGunzip(input.WithContext(ctx, f))
	if err != nil {
		return nil, &input.Error{File: path, Err: err}
	}
	sc := input.NewScanner(r, path, 0)
	var out []float64
	count := -1
	for sc.Scan() {
		line := sc.Line()
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if count < 0 {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return nil, &input.Error{File: path, Line: line, Field: "count", Err: fmt.Errorf("%s is not a count", input.Quote(s))}
			}
			count = n
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) {
			return nil, &input.Error{File: path, Line: line, Field: "probability", Err: fmt.Errorf("%s is not a probability", input.Quote(s))}
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if count < 0 {
		return nil, &input.Error{File: path, Err: errors.New("empty file")}
	}
	if len(out) != count {
		return nil, &input.Error{File: path, Line: 1, Field: "count", Err: fmt.Errorf("declares %d probabilities, the file has %d", count, len(out))}
	}
	return out, nil
}
