package pipeline

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/evaluation"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Detectors that Evaluate can measure.
const (
	DetectorAutomaton     = "automaton"
	DetectorNewConnection = "new-connection"
)

// EvalConfig says what to evaluate.
type EvalConfig struct {
	TrainRoot, MonitorRoot string
	Format                 string
	SkipBadRows            bool
	Services               []netip.Addr // restrict to these hosts; empty: all in the summary
	Detector               string       // DetectorAutomaton (default) or DetectorNewConnection
	Sweep                  []float64    // sigma multipliers to sweep (automaton only); nil: none
}

// TopConnection is the most blamed connection of a host's top root cause.
type TopConnection struct {
	Direction string `json:"direction"`
	IP        string `json:"ip"`
	Port      uint16 `json:"port"`
	Count     int    `json:"count"`
}

// HostEvaluation is one monitored host's result.
type HostEvaluation struct {
	Host  string `json:"host"`
	Model string `json:"model"`
	evaluation.Metrics
	TopRootCauseState *int32         `json:"top_root_cause_state"`
	TopConnection     *TopConnection `json:"top_connection"`
	Error             string         `json:"error,omitempty"`

	counts evaluation.Counts
}

// Evaluation is the whole result, as printed by --json.
type Evaluation struct {
	Detector string                  `json:"detector"`
	Hosts    []HostEvaluation        `json:"hosts"`
	Overall  evaluation.Metrics      `json:"overall"`
	Sweep    []evaluation.SweepPoint `json:"sweep,omitempty"`
}

// hostData is what evaluating one host needs, whatever the detector.
type hostData struct {
	host    netip.Addr
	model   *Model
	seq     hostSeq
	classes []evaluation.Class
	spans   []learner.Span
	traces  []evaluation.ScoredTrace // automaton only
	rows    []learner.PredictionRow  // automaton only
}

// Evaluate measures the last run (or the new-connection baseline) against
// the labels of the monitored flows.
func Evaluate(ctx context.Context, c EvalConfig) (*Evaluation, error) {
	if c.Detector == "" {
		c.Detector = DetectorAutomaton
	}
	if c.Detector != DetectorAutomaton && c.Detector != DetectorNewConnection {
		return nil, fmt.Errorf("detector %q: want %s or %s", c.Detector, DetectorAutomaton, DetectorNewConnection)
	}
	if len(c.Sweep) > 0 && c.Detector != DetectorAutomaton {
		return nil, fmt.Errorf("--sweep varies the automaton's threshold; the %s detector has none", c.Detector)
	}
	models, err := readSummaryModels(filepath.Join(c.MonitorRoot, SummaryFile))
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Detector: c.Detector}
	cache := map[string]*Model{}
	baselines := map[string]*evaluation.NewConnection{}
	var hosts []*hostData
	var total evaluation.Counts
	for _, hm := range models {
		if len(c.Services) > 0 && !slices.Contains(c.Services, hm.host) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		he := HostEvaluation{Host: hm.host.String(), Model: hm.model}
		hd, err := loadHostData(c, hm.host, hm.model, cache)
		if err == nil {
			err = evaluateHost(c, hd, &he, baselines)
		}
		if err != nil {
			he.Error = err.Error()
		} else {
			total = total.Add(he.counts)
			hosts = append(hosts, hd)
		}
		ev.Hosts = append(ev.Hosts, he)
	}
	if len(ev.Hosts) == 0 {
		return nil, fmt.Errorf("%s lists no monitored host to evaluate", filepath.Join(c.MonitorRoot, SummaryFile))
	}
	ev.Overall = total.Metrics()
	for _, k := range c.Sweep {
		var at evaluation.Counts
		for _, hd := range hosts {
			thr := hd.model.Threshold.Mean - k*hd.model.Threshold.SD
			at = at.Add(evaluation.Count(hd.classes, hd.spans, evaluation.AtThreshold(hd.traces, thr)))
		}
		ev.Sweep = append(ev.Sweep, evaluation.SweepPoint{K: k, Metrics: at.Metrics()})
	}
	return ev, nil
}

type hostModel struct {
	host  netip.Addr
	model string
}

// readSummaryModels reads which model judged each host in the last run.
func readSummaryModels(path string) ([]hostModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("evaluate needs the run's summary (run first): %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	svc, mod := slices.Index(header, "service"), slices.Index(header, "model")
	if svc < 0 || mod < 0 {
		return nil, fmt.Errorf("%s: no service and model columns", path)
	}
	var out []hostModel
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) <= max(svc, mod) {
			return nil, fmt.Errorf("%s:%d: too few fields", path, line)
		}
		a, err := layout.ParseService(rec[svc])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, hostModel{a, strings.TrimSpace(rec[mod])})
	}
	return out, nil
}

func loadHostData(c EvalConfig, host netip.Addr, modelName string, cache map[string]*Model) (*hostData, error) {
	if modelName == "" {
		return nil, errors.New("the run had no model for this host")
	}
	m := cache[modelName]
	if m == nil {
		var err error
		if m, err = loadNamedModel(c.TrainRoot, modelName); err != nil {
			return nil, err
		}
		cache[modelName] = m
	}
	u := layout.ServiceUnit(host)
	path := layout.MonitorFile(c.MonitorRoot, u)
	all, _, err := readFlows(path, &Config{Format: c.Format, SkipBadRows: c.SkipBadRows})
	if err != nil {
		return nil, err
	}
	seqs, _ := splitHosts(all, u.Hosts())
	hd := &hostData{host: host, model: m, seq: seqs[0]}
	hd.classes = make([]evaluation.Class, len(hd.seq.flows))
	for i := range hd.seq.flows {
		hd.classes[i] = evaluation.Classify(hd.seq.flows[i].Label)
	}
	hd.spans = windowSpans([]int{len(hd.seq.flows)}, m.Window, m.Stride)
	if c.Detector != DetectorAutomaton {
		return hd, nil
	}
	predPath := filepath.Join(layout.Dir(c.MonitorRoot, u), MonitorPredictionsFile)
	rows, err := learner.ReadPredictions(predPath)
	if err != nil {
		return nil, err
	}
	if len(rows) != len(hd.spans) {
		return nil, fmt.Errorf("%s has %d traces but the monitor flows make %d: run again", predPath, len(rows), len(hd.spans))
	}
	hd.rows = rows
	hd.traces = make([]evaluation.ScoredTrace, len(rows))
	for i, r := range rows {
		n := int(hd.spans[i].End - hd.spans[i].Start)
		p := learner.Prediction{States: r.States, Scores: r.Scores, Sum: r.Sum}
		hd.traces[i] = evaluation.ScoredTrace{Sum: r.Sum, RootCause: rootcause.Position(&p, n)}
	}
	return hd, nil
}

func evaluateHost(c EvalConfig, hd *hostData, he *HostEvaluation, baselines map[string]*evaluation.NewConnection) error {
	var verdicts []evaluation.Verdict
	if c.Detector == DetectorNewConnection {
		b, err := baseline(c, hd.model, baselines)
		if err != nil {
			return err
		}
		verdicts = b.Verdicts(hd.seq.flows, hd.seq.dirs, hd.spans)
	} else {
		verdicts = evaluation.AtThreshold(hd.traces, hd.model.Threshold.Value)
	}
	he.counts = evaluation.Count(hd.classes, hd.spans, verdicts)
	he.Metrics = he.counts.Metrics()

	// The top root cause, as the run reports it.
	var anomalies []rootcause.Anomaly
	for i, v := range verdicts {
		if !v.Flagged || v.RootCause < 0 {
			continue
		}
		a := rootcause.Anomaly{Trace: i, Start: int(hd.spans[i].Start), Index: v.RootCause, State: -1}
		if hd.rows != nil {
			r := hd.rows[i]
			a.States, a.Scores, a.Sum = r.States, r.Scores, r.Sum
			a.State = r.States[v.RootCause]
		}
		anomalies = append(anomalies, a)
	}
	rep := rootcause.Analyze(he.Host, len(hd.spans), hd.model.Threshold, anomalies, hd.seq.flows, hd.seq.dirs, 1)
	if len(rep.States) > 0 {
		top := rep.States[0]
		if c.Detector == DetectorAutomaton {
			st := top.State
			he.TopRootCauseState = &st
		}
		if len(top.Connections) > 0 {
			tc := top.Connections[0]
			he.TopConnection = &TopConnection{tc.Direction.String(), tc.IP.String(), tc.Port, tc.Count}
		}
	}
	return nil
}

// baseline returns the new-connection detector of a model's unit, learnt
// from the unit's training flows.
func baseline(c EvalConfig, m *Model, cache map[string]*evaluation.NewConnection) (*evaluation.NewConnection, error) {
	if b := cache[m.Unit]; b != nil {
		return b, nil
	}
	u := layout.Unit{Name: m.Unit}
	if a, err := layout.ParseService(m.Unit); err == nil {
		u = layout.ServiceUnit(a)
	} else {
		for _, s := range m.Members {
			a, err := layout.ParseService(s)
			if err != nil {
				return nil, fmt.Errorf("model %s: member: %w", m.Unit, err)
			}
			u.Members = append(u.Members, a)
		}
	}
	all, _, err := readFlows(layout.TrainFile(c.TrainRoot, u), &Config{Format: c.Format, SkipBadRows: c.SkipBadRows})
	if err != nil {
		return nil, err
	}
	seqs, _ := splitHosts(all, u.Hosts())
	b := evaluation.NewNewConnection()
	for _, s := range seqs {
		b.Learn(s.flows, s.dirs)
	}
	cache[m.Unit] = b
	return b, nil
}
