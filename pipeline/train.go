package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Output file names in a unit's train folder.
const (
	TrainPredictionsFile = "train_data_predictions.csv"
	TrainPlotFile        = "probability_plot_train.png"
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
	Threshold rootcause.Threshold
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

	data, enc, info, err := encodeUnit(c, u, &r)
	if err != nil {
		return r, err
	}
	step()

	auto, err := learner.Learn(ctx, data, c.Learner, nil)
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

	dir := layout.Dir(c.TrainRoot, u)
	// Once an output is written, a failure removes this unit's outputs,
	// the new and the earlier ones: the folder must not pair this
	// training's predictions with an earlier model, or this model with an
	// earlier plot. (A failure before keeps the earlier ones, which agree.)
	wrote := false
	defer func() {
		if err != nil && wrote {
			if rerr := removeTrainOutputs(dir); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	sums := make([]float64, data.Len())
	if err := writePredictions(filepath.Join(dir, TrainPredictionsFile), auto, data, enc, sums, nil); err != nil {
		return r, err
	}
	wrote = true
	thr, err := rootcause.NewThreshold(sums, c.Sigma)
	if err != nil {
		return r, fmt.Errorf("threshold: %w", err)
	}
	r.Threshold = thr
	m := &Model{
		Unit: u.Name, Window: c.Window, Stride: c.Stride, Encoder: enc, Threshold: thr, Automaton: auto,
		Training: info,
	}
	for _, h := range u.Members {
		m.Members = append(m.Members, h.String())
	}
	if err := m.Save(filepath.Join(dir, ModelFile)); err != nil {
		return r, err
	}
	title := fmt.Sprintf("%s — training: %d traces, threshold %.1f (mean − %g·σ)", u.Name, len(sums), thr.Value, c.Sigma)
	if err := plots.TraceScores(filepath.Join(dir, TrainPlotFile), sums, thr.Value, plots.Options{Title: title}); err != nil {
		return r, err // plots names the plot and its file
	}
	step()
	return r, nil
}

// removeTrainOutputs removes a unit's training outputs from its folder
// (model, predictions, plot), if any.
func removeTrainOutputs(dir string) error {
	return removeFiles(dir, ModelFile, TrainPredictionsFile, TrainPlotFile)
}

// encodeUnit reads a unit's training flows, fits the encoder and returns
// the windows to learn from, with what the model records of the flows.
// The flows themselves are left behind: they are most of a large unit's
// memory, and learning needs only the symbols.
func encodeUnit(c *Config, u layout.Unit, r *TrainResult) (*learner.Dataset, flows.Encoder, TrainingInfo, error) {
	path := layout.TrainFile(c.TrainRoot, u)
	all, skipped, err := readFlows(path, c)
	if err != nil {
		return nil, nil, TrainingInfo{}, err
	}
	seqs, foreign := splitHosts(all, u.Hosts())
	r.Skipped, r.Foreign = skipped, foreign
	// The encoder is fitted on all hosts' flows together; a single host's
	// are used as they are, not copied.
	fl, dirs := seqs[0].flows, seqs[0].dirs
	segments := make([]int, len(seqs))
	for i, s := range seqs {
		segments[i] = len(s.flows)
	}
	if len(seqs) > 1 {
		fl, dirs = nil, nil
		for _, s := range seqs {
			fl = append(fl, s.flows...)
			dirs = append(dirs, s.dirs...)
		}
	}
	r.Flows = len(fl)
	if len(fl) == 0 {
		return nil, nil, TrainingInfo{}, fmt.Errorf("%s: no flows of %s", path, u.Name)
	}
	enc, err := flows.FitEncoder(c.Encoder, fl, dirs, c.Encoding)
	if err != nil {
		return nil, nil, TrainingInfo{}, fmt.Errorf("fit encoder: %w", err)
	}
	syms := make([]int32, 0, len(fl))
	for _, s := range seqs {
		syms = encode(enc, s, syms)
	}
	alpha, err := symbolAlphabet(enc)
	if err != nil {
		return nil, nil, TrainingInfo{}, err
	}
	data := &learner.Dataset{Alphabet: alpha, Symbols: syms, Spans: windowSpans(segments, c.Window, c.Stride)}
	r.Traces = data.Len()
	if data.Len() < 2 {
		return nil, nil, TrainingInfo{}, fmt.Errorf("%s: %d flows make %d training traces (window %d, stride %d); need at least 2 to compute the threshold's standard deviation", path, len(fl), data.Len(), c.Window, c.Stride)
	}
	info := TrainingInfo{Flows: len(fl), Traces: data.Len(), First: isoTime(minStart(fl)), Last: isoTime(maxStart(fl))}
	return data, enc, info, nil
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

// writePredictions scores every trace, writes the learner's predict columns
// atomically to path, stores each trace's sum in sums, and calls each (if
// set) with every trace's prediction.
func writePredictions(path string, m *learner.Model, d *learner.Dataset, enc flows.Encoder, sums []float64, each func(i int, p *learner.Prediction) error) error {
	return writeAtomic(path, func(w io.Writer) error {
		pw, err := learner.NewPredictionWriter(w)
		if err != nil {
			return err
		}
		var p learner.Prediction
		name := nameCache(enc)
		for i := 0; i < d.Len(); i++ {
			tr := d.Trace(i)
			m.ScoreInto(tr, &p)
			sums[i] = p.Sum
			if err := pw.Write("", tr, name, &p); err != nil {
				return err
			}
			if each != nil {
				if err := each(i, &p); err != nil {
					return err
				}
			}
		}
		return pw.Flush()
	})
}

// nameCache returns enc.SymbolName, computing each symbol's name once: the
// prediction files name every symbol of every trace.
func nameCache(enc flows.Encoder) func(int32) string {
	var names []string
	return func(sym int32) string {
		if sym < 0 || sym >= 1<<16 {
			return enc.SymbolName(sym)
		}
		if int(sym) >= len(names) {
			names = append(names, make([]string, int(sym)+1-len(names))...)
		}
		if names[sym] == "" {
			names[sym] = enc.SymbolName(sym)
		}
		return names[sym]
	}
}

// writeAtomic writes path atomically (see atomicfile) through fill, whose
// writes go through a writeBehind: prediction files are hundreds of MB.
func writeAtomic(path string, fill func(io.Writer) error) error {
	return atomicfile.Write(path, func(f *os.File) error { return fill(&writeBehind{f: f}) })
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
