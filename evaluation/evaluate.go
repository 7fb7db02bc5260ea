package evaluation

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Config says what to evaluate.
type Config struct {
	TrainRoot, MonitorRoot string
	Format                 string
	SkipBadRows            bool
	MaxLine                int          // longest line of a flow or predictions file, bytes; 0: input.DefaultMaxLine
	Services               []netip.Addr // restrict to these hosts; empty: all in the summary
	Detector               string       // a name of Detectors (default: the first)
	Sweep                  []float64    // sigma multipliers to sweep (detectors that have a threshold); nil: none
	// Labels says what label values no known vocabulary has mean
	// (--label-map).
	Labels LabelMap
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
	Metrics
	TopRootCauseState *int32         `json:"top_root_cause_state"`
	TopConnection     *TopConnection `json:"top_connection"`
	Error             string         `json:"error,omitempty"`

	counts Counts
}

// MarshalJSON writes the host's fields and its metrics side by side (see
// Metrics.MarshalJSON).
func (he HostEvaluation) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Host  string `json:"host"`
		Model string `json:"model"`
		metricsJSON
		TopRootCauseState *int32         `json:"top_root_cause_state"`
		TopConnection     *TopConnection `json:"top_connection"`
		Error             string         `json:"error,omitempty"`
	}{he.Host, he.Model, he.Metrics.forJSON(), he.TopRootCauseState, he.TopConnection, he.Error})
}

// Evaluation is the whole result, as printed by --json.
type Evaluation struct {
	Detector string           `json:"detector"`
	Hosts    []HostEvaluation `json:"hosts"`
	Overall  Metrics          `json:"overall"`
	// Labels are the label values seen, with how each was counted.
	Labels []LabelValue `json:"labels"`
	Sweep  []SweepPoint `json:"sweep,omitempty"`
}

// Host is what evaluating one monitored host needs, whatever the detector.
type Host struct {
	Addr    netip.Addr
	Model   *model.Model
	Flows   flows.HostFlows // the host's monitored flows in time order
	Classes []Class         // the class of each flow
	Spans   []learner.Span  // the model's windows over the flows
	// Scored holds, for detectors that read the run's predictions, each
	// window's sum and root-cause position, and States the states of its
	// scores.
	Scored []ScoredTrace
	States [][]int32
	Scores [][]float64
}

// Evaluate measures the last run (or another detector) against the labels
// of the monitored flows.
func Evaluate(ctx context.Context, c Config) (*Evaluation, error) {
	if c.Detector == "" {
		c.Detector = Detectors()[0].Name
	}
	det, err := detectorByName(c.Detector)
	if err != nil {
		return nil, err
	}
	if len(c.Sweep) > 0 && !det.Threshold {
		return nil, fmt.Errorf("--sweep varies the automaton's threshold; the %s detector has none", c.Detector)
	}
	summary := filepath.Join(c.MonitorRoot, outputs.SummaryFile)
	models, err := readSummaryModels(summary)
	if err != nil {
		return nil, err
	}
	e := &evaluator{ctx: ctx, c: c, models: map[string]*model.Model{}, state: map[string]any{}, labels: NewLabels(c.Labels)}
	ev := &Evaluation{Detector: c.Detector}
	var hosts []*Host
	var total Counts
	for _, hm := range models {
		if len(c.Services) > 0 && !slices.Contains(c.Services, hm.host) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		he := HostEvaluation{Host: hm.host.String(), Model: hm.model}
		h, err := e.host(hm.host, hm.model, det.ReadsPredictions)
		if err == nil {
			err = e.evaluate(det, h, &he)
		}
		if err != nil {
			he.Error = err.Error()
		} else {
			total = total.Add(he.counts)
			hosts = append(hosts, h)
		}
		ev.Hosts = append(ev.Hosts, he)
	}
	if len(ev.Hosts) == 0 {
		return nil, fmt.Errorf("%s lists no monitored host to evaluate", summary)
	}
	ev.Overall = total.Metrics()
	ev.Labels = e.labels.Seen()
	if err := e.labels.Err(); err != nil {
		return ev, fmt.Errorf("evaluate: %w", err)
	}
	for _, k := range c.Sweep {
		var at Counts
		for _, h := range hosts {
			at = at.Add(Count(h.Classes, h.Spans, AtThreshold(h.Scored, At(h.Model, k))))
		}
		ev.Sweep = append(ev.Sweep, SweepPoint{K: k, Metrics: at.Metrics()})
	}
	return ev, nil
}

type hostModel struct {
	host  netip.Addr
	model string
}

// readSummaryModels reads which model judged each host in the last run.
func readSummaryModels(path string) ([]hostModel, error) {
	f, err := input.Open(path)
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

// evaluator holds what an evaluation shares between hosts: the models
// loaded, and each detector's state (a baseline's training, say) by key.
// It lives for one call of Evaluate, whose context it holds, so that the
// detectors' reads stop with it.
type evaluator struct {
	ctx    context.Context
	c      Config
	models map[string]*model.Model
	state  map[string]any
	labels *Labels // the monitored flows' labels, as they are counted
}

// model returns the model of the named unit, loaded once.
func (e *evaluator) model(name string) (*model.Model, error) {
	if m := e.models[name]; m != nil {
		return m, nil
	}
	// The summary names the unit run's judges chose (layout.Judges).
	m, _, err := model.LoadUnit(e.c.TrainRoot, name)
	if err != nil {
		return nil, fmt.Errorf("--model %s: %w", name, err)
	}
	e.models[name] = m
	return m, nil
}

// readFlows reads a flow file and gives the flows of hosts.
func (e *evaluator) readFlows(path string, hosts []netip.Addr) ([]flows.HostFlows, error) {
	all, _, err := flows.ReadAll(e.ctx, path, e.c.Format, flows.DecodeOptions{SkipBadRows: e.c.SkipBadRows, MaxLine: e.c.MaxLine})
	if err != nil {
		return nil, err
	}
	seqs, _ := flows.SplitByHost(all, hosts)
	return seqs, nil
}

// host loads a monitored host's flows and the run's scores of them.
func (e *evaluator) host(addr netip.Addr, modelName string, predictions bool) (*Host, error) {
	if modelName == "" {
		return nil, errors.New("the run had no model for this host")
	}
	m, err := e.model(modelName)
	if err != nil {
		return nil, err
	}
	u := layout.ServiceUnit(addr)
	seqs, err := e.readFlows(layout.MonitorFile(e.c.MonitorRoot, u), u.Hosts())
	if err != nil {
		return nil, err
	}
	h := &Host{Addr: addr, Model: m, Flows: seqs[0]}
	h.Classes = make([]Class, len(h.Flows.Flows))
	for i := range h.Flows.Flows {
		h.Classes[i] = e.labels.Classify(h.Flows.Flows[i].Label)
	}
	h.Spans = detector.Spans([]int{len(h.Flows.Flows)}, m.Window, m.Stride)
	if !predictions {
		return h, nil
	}
	predPath := filepath.Join(layout.Dir(e.c.MonitorRoot, u), outputs.MonitorPredictionsFile)
	rows, err := learner.ReadPredictions(e.ctx, predPath, learner.ReadOptions{MaxLine: e.c.MaxLine})
	if err != nil {
		return nil, err
	}
	if len(rows) != len(h.Spans) {
		return nil, fmt.Errorf("%s has %d traces but the monitor flows make %d: run again", predPath, len(rows), len(h.Spans))
	}
	h.Scored = make([]ScoredTrace, len(rows))
	h.States = make([][]int32, len(rows))
	h.Scores = make([][]float64, len(rows))
	for i, r := range rows {
		n := int(h.Spans[i].End - h.Spans[i].Start)
		h.Scored[i] = ScoredTrace{Sum: r.Sum, Min: lowest(r.Scores), RootCause: detector.CausePosition(r.Scores, n)}
		h.States[i], h.Scores[i] = r.States, r.Scores
	}
	return h, nil
}

// evaluate counts a detector's verdicts on a host against the labels, and
// finds its top root cause as a run reports it.
func (e *evaluator) evaluate(det Detector, h *Host, he *HostEvaluation) error {
	verdicts, err := det.Verdicts(e, h)
	if err != nil {
		return err
	}
	he.counts = Count(h.Classes, h.Spans, verdicts)
	he.Metrics = he.counts.Metrics()

	var anomalies []rootcause.Anomaly
	for i, v := range verdicts {
		if !v.Flagged || v.RootCause < 0 {
			continue
		}
		first := int(h.Spans[i].Start)
		j := first + v.RootCause
		f := &h.Flows.Flows[j]
		cause := detector.Cause{Index: v.RootCause, State: -1, Flow: j, Start: f.Start, Conn: f.ConnectionFrom(h.Flows.Dirs[j])}
		a := rootcause.Anomaly{Trace: i, Start: first, Cause: cause}
		for k := first; k < int(h.Spans[i].End); k++ {
			a.Flows = append(a.Flows, h.Flows.Flows[k].Features(h.Flows.Dirs[k]))
		}
		if h.States != nil {
			a.Cause.State = h.States[i][v.RootCause]
			a.Scores = h.Scores[i]
		}
		anomalies = append(anomalies, a)
	}
	// The top connection, as the run ranks it.
	rep := rootcause.Analyze(he.Host, len(h.Spans), h.Model, anomalies, 1, incident.DefaultGap)
	if tc, state, ok := rep.Top(); ok {
		if det.ReadsPredictions {
			he.TopRootCauseState = &state
		}
		he.TopConnection = &TopConnection{tc.Direction.String(), tc.Peer.String(), tc.Port, tc.Count}
	}
	return nil
}

// lowest is the least of scores (+Inf for none).
func lowest(scores []float64) float64 {
	m := math.Inf(1)
	for _, s := range scores {
		m = min(m, s)
	}
	return m
}
