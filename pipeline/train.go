package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/outputs"
)

// trainSteps is the number of progress steps one unit reports.
const trainSteps = 3 // read and encode, learn, write

// TrainResult summarises one unit's training.
type TrainResult struct {
	Unit      string
	Flows     int
	Skipped   int // bad rows skipped (with SkipBadRows)
	Foreign   int // rows that involve none of the unit's hosts, ignored
	Traces    int
	States    int
	Red       int
	Threshold model.Threshold
	Err       error
}

// Train learns a model for every unit (service or group) under
// c.TrainRoot, in parallel. It returns one result per unit, in unit order,
// then one per group folder whose group.json is broken (failed with
// layout.ErrBadGroup); a unit that fails has Err set and does not stop the
// others. The returned error is for problems that stop everything (bad
// config, unreadable root, cancellation).
func Train(ctx context.Context, c Config) ([]TrainResult, []layout.Skipped, error) {
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	units, skipped, err := selectUnits(c.TrainRoot, c.Services, c.Groups)
	// A group folder whose group.json cannot be used fails as a unit when
	// every unit is trained: its model would be missing or stale.
	var broken []layout.Skipped
	if len(c.Services) == 0 && len(c.Groups) == 0 {
		skipped, broken = brokenGroups(skipped)
	}
	// A root holding only broken groups ("no service or group folders")
	// still has their failures to report.
	if err != nil && len(broken) == 0 {
		return nil, skipped, err
	}
	if c.Progress != nil {
		c.Progress.Total(len(units) * trainSteps)
	}
	results := make([]TrainResult, len(units))
	for i, u := range units {
		// Units not reached before a cancellation say so.
		results[i] = TrainResult{Unit: u.Name, Err: errNotStarted}
	}
	order := largestFirst(units, func(u layout.Unit) string { return layout.TrainFile(c.TrainRoot, u) })
	err = forEach(ctx, c.Workers, order, func(ctx context.Context, i int) {
		r, err := trainUnit(ctx, &c, units[i])
		r.Unit, r.Err = units[i].Name, err
		results[i] = r
	})
	for _, b := range broken {
		results = append(results, TrainResult{Unit: b.Name, Err: b.Reason})
	}
	return results, skipped, err
}

func trainUnit(ctx context.Context, c *Config, u layout.Unit) (r TrainResult, err error) {
	done := 0
	defer func() { // keep the progress total honest when a unit stops early
		for ; done < trainSteps; done++ {
			c.step()
		}
	}()
	step := func() { done++; c.step() }

	enc, err := encodeUnit(ctx, c, u, &r)
	if err != nil {
		return r, err
	}
	step()

	auto, err := learner.Learn(ctx, enc.data, c.Learner, nil)
	if err != nil {
		return r, err
	}
	r.States, r.Red = auto.NumStates(), auto.NumRed()
	if auto.Options().CoreScoring {
		// Scores read only the core; the model file keeps just that, so
		// it stays small and loads fast, and the state numbers in the
		// training predictions are those of the saved model.
		if auto, err = auto.Core(); err != nil {
			return r, err
		}
	}
	step()

	m := &model.Model{
		Unit: u.Name, Window: c.Window, Stride: c.Stride, Encoder: enc.encoder, Automaton: auto, Training: enc.info,
	}
	for _, h := range u.Members {
		m.Members = append(m.Members, h.String())
	}
	dir := layout.Dir(c.TrainRoot, u)
	table := outputs.Train()
	sinks, err := outputs.Open(table, outputs.Unit{Name: u.Name, Dir: dir, Model: m})
	if err != nil {
		return r, err
	}
	defer sinks.Abort()
	// Once an output is written, a failure removes this unit's outputs,
	// the new and the earlier ones: the folder must not pair this
	// training's predictions with an earlier model, or this model with an
	// earlier plot. (A failure before keeps the earlier ones, which agree.)
	wrote := false
	defer func() {
		if err != nil && wrote {
			if rerr := outputs.Remove(dir, table); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	sums := make([]float64, 0, enc.data.Len())
	sc := detector.NewScorer(auto, c.Window, c.Stride)
	add := func(w *detector.Window) error {
		if w == nil {
			return nil
		}
		sums = append(sums, w.Score.Sum)
		return sinks.Window(w)
	}
	off := 0
	for _, n := range enc.segments {
		for _, sym := range enc.data.Symbols[off : off+n] {
			if err := add(sc.Add(sym)); err != nil {
				return r, err
			}
		}
		if err := add(sc.End()); err != nil {
			return r, err
		}
		off += n
	}
	wrote = true
	thr, err := model.NewThreshold(sums, c.Sigma)
	if err != nil {
		return r, fmt.Errorf("threshold: %w", err)
	}
	r.Threshold, m.Threshold = thr, thr
	if err := sinks.Close(outputs.End{Model: m, Windows: len(sums)}); err != nil {
		return r, err
	}
	step()
	return r, nil
}

// encoded is a unit's training data, ready to learn from.
type encoded struct {
	data     *learner.Dataset
	segments []int // symbols of each host, one after another in data
	encoder  flows.Encoder
	info     model.TrainingInfo
}

// encodeUnit reads a unit's training flows, fits the encoder and returns
// the windows to learn from, with what the model records of the flows.
// The flows themselves are left behind: they are most of a large unit's
// memory, and learning needs only the symbols.
func encodeUnit(ctx context.Context, c *Config, u layout.Unit, r *TrainResult) (encoded, error) {
	path := layout.TrainFile(c.TrainRoot, u)
	all, skipped, err := readFlows(ctx, path, c)
	if err != nil {
		return encoded{}, err
	}
	seqs, foreign := flows.SplitByHost(all, u.Hosts())
	r.Skipped, r.Foreign = skipped, foreign
	// The encoder is fitted on all hosts' flows together; a single host's
	// are used as they are, not copied.
	fl, dirs := seqs[0].Flows, seqs[0].Dirs
	segments := make([]int, len(seqs))
	for i, s := range seqs {
		segments[i] = len(s.Flows)
	}
	if len(seqs) > 1 {
		fl, dirs = nil, nil
		for _, s := range seqs {
			fl = append(fl, s.Flows...)
			dirs = append(dirs, s.Dirs...)
		}
	}
	r.Flows = len(fl)
	if len(fl) == 0 {
		return encoded{}, fmt.Errorf("%s: no flows of %s", path, u.Name)
	}
	enc, err := flows.FitEncoder(c.Encoder, fl, dirs, c.Encoding)
	if err != nil {
		return encoded{}, fmt.Errorf("fit encoder: %w", err)
	}
	syms := make([]int32, 0, len(fl))
	for _, s := range seqs {
		for i := range s.Flows {
			syms = append(syms, enc.Encode(&s.Flows[i], s.Dirs[i]))
		}
	}
	alpha, err := symbolAlphabet(enc)
	if err != nil {
		return encoded{}, err
	}
	data := &learner.Dataset{Alphabet: alpha, Symbols: syms, Spans: detector.Spans(segments, c.Window, c.Stride)}
	r.Traces = data.Len()
	if data.Len() < 2 {
		return encoded{}, fmt.Errorf("%s: %d flows make %d training traces (window %d, stride %d); need at least 2 to compute the threshold's standard deviation", path, len(fl), data.Len(), c.Window, c.Stride)
	}
	info := model.TrainingInfo{Flows: len(fl), Traces: data.Len(), First: isoTime(minStart(fl)), Last: isoTime(maxStart(fl))}
	return encoded{data: data, segments: segments, encoder: enc, info: info}, nil
}

// symbolAlphabet names the automaton's symbols after the encoder's.
func symbolAlphabet(enc flows.Encoder) (*learner.Alphabet, error) {
	names := make([]string, enc.AlphabetSize())
	for i := range names {
		names[i] = enc.SymbolName(int32(i))
	}
	a, err := learner.NewAlphabet(names)
	if err != nil {
		return nil, fmt.Errorf("encoder symbols: %w", err)
	}
	return a, nil
}

func minStart(fl []flows.Flow) int64 {
	m := fl[0].Start
	for i := range fl {
		m = min(m, fl[i].Start)
	}
	return m
}

func maxStart(fl []flows.Flow) int64 {
	m := fl[0].Start
	for i := range fl {
		m = max(m, fl[i].Start)
	}
	return m
}

func isoTime(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
