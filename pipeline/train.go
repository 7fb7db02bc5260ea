package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/outputs"
)

// Training tells its progress (Config.Progress) in training flows: each
// unit's flows (as counted ahead, see unitPlan) once read, once learned,
// once scored and written, weighted by the share of the work each takes,
// and the learning's share split over its automata as each is learned.
const (
	readShare  = 0.1
	learnShare = 0.8
)

// Memory a unit's training takes (for --max-memory), in bytes per
// training flow, measured on simulated services from 300k to 10M flows
// (README, Scale) with the garbage collector's room: the flows as read
// and then as encoded and scored (dataBytes), and, for each automaton
// learned at once, its prefix tree (treeBytes). baseBytes is the
// process's own.
const (
	dataBytes = 72
	treeBytes = 160
	baseBytes = 48 << 20
)

// share tells Config.Progress a unit's work as it is done: fractions of
// its flows, as whole flows; safe for concurrent use (its automata are
// learned side by side).
type share struct {
	mu    sync.Mutex
	p     Progress
	flows int
	done  float64 // fraction done
	told  int     // flows told
}

// add tells that fraction f more of the unit is done.
func (s *share) add(f float64) {
	if s == nil || s.p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done += f
	n := min(int(math.Round(s.done*float64(s.flows))), s.flows) - s.told
	s.told += n
	s.p.Add(n)
}

// finish tells the rest: the unit's output, or what it did not get to.
func (s *share) finish() { s.add(1) }

// unitPlan is what training a unit is expected to take, before it starts.
type unitPlan struct {
	flows int   // rows of its training file (lines: a bound)
	need  int64 // memory reserved when it starts: its data and one automaton
	each  int64 // memory of one automaton learned at once
	jobs  int   // automata it learns (the model and the held-out folds')
}

// planUnit counts a unit's training rows and works out its plan.
func planUnit(ctx context.Context, c *Config, u layout.Unit) unitPlan {
	p := unitPlan{flows: flows.RowCapacity(ctx, layout.TrainFile(c.TrainRoot, u)), jobs: 1}
	if c.Folds > 1 {
		p.jobs += c.Folds
	}
	p.each = int64(p.flows) * treeBytes
	p.need = int64(p.flows)*dataBytes + p.each
	return p
}

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
	// Tagged and TaggedFlows are the incidents tagged expected or
	// false-positive whose flows the training learned, and those flows.
	Tagged, TaggedFlows int
	// Warnings say what a user should know about the model: malicious
	// training flows, too few training windows.
	Warnings []string
	Err      error
}

// Train learns a model for every unit (service or group) under
// c.TrainRoot, in parallel. It returns one result per unit, in unit order,
// then one per group folder whose group.json is broken (failed with
// layout.ErrBadGroup); a unit that fails has Err set and does not stop the
// others. The returned error is for problems that stop everything (bad
// config, unreadable root, cancellation).
func Train(ctx context.Context, c Config) ([]TrainResult, []layout.Skipped, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	units, skipped, err := selectUnits(c.TrainRoot, c.Services, c.Groups)
	// A group folder whose group.json cannot be used, or a unit folder
	// that is a link, fails as a unit when every unit is trained: its
	// model would be missing or stale.
	var broken []layout.Skipped
	if len(c.Services) == 0 && len(c.Groups) == 0 {
		skipped, broken = brokenUnits(skipped)
	}
	// A root holding only broken groups ("no service or group folders")
	// still has their failures to report.
	if err != nil && len(broken) == 0 {
		return nil, skipped, err
	}
	// The analyst's verdicts are read once, before any unit: a tags file
	// that is not right stops the training, naming its line and field.
	if c.tags, err = learnedTags(&c); err != nil {
		return nil, skipped, err
	}
	results := make([]TrainResult, len(units))
	plans := make([]unitPlan, len(units))
	total := 0
	for i, u := range units {
		// Units not reached before a cancellation say so.
		results[i] = TrainResult{Unit: u.Name, Err: ErrNotStarted}
		plans[i] = planUnit(ctx, &c, u)
		total += plans[i].flows
	}
	if c.Progress != nil {
		c.Progress.Total(total)
	}
	// The largest units start first, and one more unit than there are
	// cores is under way, so that one reads or scores while the others
	// learn; with a memory budget a unit starts once its data and one
	// automaton fit, and waits until then.
	order := largestFirst(units, func(u layout.Unit) string { return layout.TrainFile(c.TrainRoot, u) })
	budget := int64(0)
	if c.MaxMemory > 0 {
		budget = max(c.MaxMemory-baseBytes, 1)
	}
	jobs := newJobs(c.Workers, budget, c.MaxMemory)
	err = forEach(ctx, c.Workers+1, order, func(ctx context.Context, i int) {
		p := &plans[i]
		var r TrainResult
		release, err := jobs.reserve(ctx, p.need)
		sh := &share{p: c.Progress, flows: p.flows}
		if err == nil {
			s := jobs.forUnit(p.each)
			s.done, s.part = sh, learnShare/float64(p.jobs)
			r, err = trainUnit(ctx, &c, s, units[i], sh)
			release()
		}
		sh.finish()
		r.Unit, r.Err = units[i].Name, err
		results[i] = r
	})
	for _, b := range broken {
		results = append(results, TrainResult{Unit: b.Name, Err: b.Reason})
	}
	return results, skipped, err
}

func trainUnit(ctx context.Context, c *Config, learning slots, u layout.Unit, progress *share) (r TrainResult, err error) {
	enc, err := encodeUnit(ctx, c, u, &r)
	if err != nil {
		return r, err
	}
	progress.add(readShare)

	// The thresholds describe how the model scores traffic it has not
	// memorised: the training's windows scored by models that did not
	// learn them (heldOut), or, with fewer than two folds, by this one.
	// The folds are learned beside the model; a failure of either stops
	// the other.
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	held := make(chan heldScores, 1)
	go func() {
		var h heldScores
		if c.Folds > 1 {
			h, h.err = heldOut(lctx, c, learning, &enc)
		}
		if h.err != nil {
			stop()
		}
		held <- h
	}()
	var auto *learner.Model
	err = learning.do(lctx, func() (err error) {
		auto, err = learner.Learn(lctx, enc.data, c.Learner, nil)
		return err
	})
	if err != nil {
		stop()
	}
	ho := <-held
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("cancelled: %w", ctx.Err())
	case err != nil && !errors.Is(err, context.Canceled):
		return r, err
	case ho.err != nil && !errors.Is(ho.err, context.Canceled):
		return r, ho.err
	case err != nil:
		return r, err
	case ho.err != nil:
		return r, ho.err
	}
	heldSums, heldMins := ho.sums, ho.mins
	r.States, r.Red = auto.NumStates(), auto.NumRed()
	if auto.Options().CoreScoring {
		// Scores read only the core; the model file keeps just that, so
		// it stays small and loads fast, and the state numbers in the
		// training predictions are those of the saved model.
		if auto, err = auto.Core(); err != nil {
			return r, err
		}
	}

	nov := enc.obs.novelty([][2]int{{0, len(enc.obs.flows)}})
	m := &model.Model{
		Unit: u.Name, Window: c.Window, Stride: c.Stride, Encoder: enc.encoder, Automaton: auto, Training: enc.info,
		Novelty: nov,
	}
	for _, h := range u.Members {
		m.Members = append(m.Members, h.String())
	}
	// The outputs are written as a new generation of the unit's folder,
	// switched in whole at the end: a failure, or a kill, leaves the
	// earlier model, predictions and plot, which agree.
	table := outputs.Train(c.outputs())
	gen, err := layout.NewGeneration(layout.Dir(c.TrainRoot, u), outputs.Owns(table))
	if err != nil {
		return r, err
	}
	defer gen.Abort()
	sinks, err := outputs.Open(table, outputs.Unit{Name: u.Name, Dir: gen.Dir(), Model: m})
	if err != nil {
		return r, err
	}
	defer sinks.Abort()
	sums := make([]float64, 0, enc.data.Len())
	mins := make([]float64, 0, enc.data.Len())
	var ranges [][2]int
	off := 0
	for _, n := range enc.segments {
		ranges = append(ranges, [2]int{off, off + n})
		off += n
	}
	err = scoreSegments(auto, c, enc.data.Symbols, enc.obs.costs(nov), ranges, func(w *detector.Window) error {
		w.Start = enc.starts[w.First]
		sums, mins = append(sums, w.Score.Sum), append(mins, w.Score.Min)
		return sinks.Window(w)
	})
	if err != nil {
		return r, err
	}
	if heldSums == nil {
		heldSums, heldMins = sums, mins
	}
	thr, err := model.NewThreshold(heldSums, c.Sigma)
	if err != nil {
		return r, fmt.Errorf("threshold: %w", err)
	}
	fthr, err := model.NewThreshold(heldMins, c.Sigma)
	if err != nil {
		return r, fmt.Errorf("flow threshold: %w", err)
	}
	if err := degenerate(&enc, thr, fthr); err != nil {
		return r, err
	}
	r.Threshold, m.Threshold, m.FlowThreshold = thr, thr, &fthr
	r.Warnings = trainingWarnings(c, &enc, len(sums), ho)
	if err := sinks.Close(ctx, outputs.End{Model: m, Windows: len(sums)}); err != nil {
		return r, err
	}
	if err := gen.Commit("train", sinks.Sums()); err != nil {
		return r, err
	}
	return r, nil
}

// encoded is a unit's training data, ready to learn from.
type encoded struct {
	data     *learner.Dataset
	segments []int // symbols of each host, one after another in data
	// learnOnly is how many of the last segments are tagged incidents'
	// flows: learned by every held-out fold, scored by none.
	learnOnly int
	starts    []int64 // each symbol's flow's start
	obs       observations
	labels    labelCounts
	encoder   flows.Encoder
	info      model.TrainingInfo
}

// encodeUnit reads a unit's training flows, fits the encoder and returns
// the windows to learn from, with what the model records of the flows. It
// keeps of each flow only what the encoder reads (see readTraining), and
// of those only the symbols once they are encoded.
func encodeUnit(ctx context.Context, c *Config, u layout.Unit, r *TrainResult) (encoded, error) {
	path := layout.TrainFile(c.TrainRoot, u)
	td, err := readTraining(ctx, path, c, u.Hosts())
	if err != nil {
		return encoded{}, err
	}
	r.Skipped, r.Foreign = td.skipped, td.foreign
	if td.count() == 0 {
		return encoded{}, fmt.Errorf("%s: no flows of %s", path, u.Name)
	}
	if r.Tagged, r.TaggedFlows, err = addTagged(ctx, c, td, c.tags); err != nil {
		return encoded{}, err
	}
	n := td.count()
	r.Flows = n
	// The tagged flows' sequences come after the hosts' own.
	learnOnly := len(td.tagged)
	td.hosts = append(td.hosts, td.tagged...)
	td.tagged = nil
	segs := make([][]flows.Features, len(td.hosts))
	segments := make([]int, len(td.hosts))
	starts := make([]int64, 0, n)
	for i, h := range td.hosts {
		segs[i], segments[i] = h.feats, len(h.feats)
		starts = append(starts, h.starts...)
		td.hosts[i].starts = nil
	}
	enc, err := flows.FitEncoder(c.Encoder, segs, c.Encoding)
	if err != nil {
		return encoded{}, fmt.Errorf("fit encoder: %w", err)
	}
	syms := make([]int32, 0, n)
	obs := observations{peers: td.peers, flows: make([]observation, 0, n)}
	keyID := map[model.Key]int32{}
	for h, seg := range segs {
		for i := range seg {
			x := &seg[i]
			syms = append(syms, enc.Encode(x))
			k := model.KeyOf(x)
			id, seen := keyID[k]
			if !seen {
				id = int32(len(obs.keys))
				keyID[k] = id
				obs.keys = append(obs.keys, k)
			}
			obs.flows = append(obs.flows, observation{key: id, peer: td.hosts[h].peers[i], bytes: x.Bytes, duration: x.Duration})
		}
		td.hosts[h].peers = nil
	}
	alpha, err := symbolAlphabet(enc)
	if err != nil {
		return encoded{}, err
	}
	data := &learner.Dataset{Alphabet: alpha, Symbols: syms, Spans: detector.Spans(segments, c.Window, c.Stride)}
	r.Traces = data.Len()
	if data.Len() < 2 {
		return encoded{}, fmt.Errorf("%s: %d flows make %d training traces (window %d, stride %d); need at least 2 to compute the threshold's standard deviation", path, n, data.Len(), c.Window, c.Stride)
	}
	info := model.TrainingInfo{Flows: n, Traces: data.Len(), First: isoTime(td.first), Last: isoTime(td.last), BytesOutP99: outboundP99(segs)}
	return encoded{data: data, segments: segments, learnOnly: learnOnly, starts: starts, obs: obs, labels: td.labels, encoder: enc, info: info}, nil
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

func isoTime(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// outboundP99 returns the 99th percentile of the bytes of the outbound
// flows (0 when there are none).
func outboundP99(segs [][]flows.Features) uint64 {
	var b []uint64
	for _, seg := range segs {
		for i := range seg {
			if seg[i].Dir == flows.Outbound {
				b = append(b, seg[i].Bytes)
			}
		}
	}
	if len(b) == 0 {
		return 0
	}
	slices.Sort(b)
	return b[len(b)*99/100]
}
