package live

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
)

var (
	host = netip.MustParseAddr("10.1.0.12")
	peer = netip.MustParseAddr("10.1.0.13")
	odd  = netip.MustParseAddr("192.0.2.14")
)

// traffic is host's flows, one a second from start: a request to the
// peer's port 5432 and its answer on port 8443, over and over; with every
// odd-th flow (odd > 0) an outbound one to 192.0.2.14:443 instead.
func traffic(start time.Time, n, odd int) []flows.Flow {
	var out []flows.Flow
	for i := range n {
		f := flows.Flow{Start: start.Add(time.Duration(i) * time.Second).UnixNano(), Duration: 0.01, Src: host, Dst: peer,
			SrcPort: 40000, DstPort: 5432, Proto: flows.ProtoTCP, Bytes: 600, Packets: 6}
		if i%2 == 1 {
			f.Src, f.Dst, f.DstPort, f.Bytes = peer, host, 8443, 1500
		}
		if odd > 0 && i%odd == odd-1 {
			f.Src, f.Dst, f.DstPort, f.Bytes, f.Duration = host, netip.MustParseAddr("192.0.2.14"), 443, 90000, 30
		}
		out = append(out, f)
	}
	return out
}

// trainModel learns host's model from fs as train does, into root.
func trainModel(t *testing.T, root string, fs []flows.Flow) { trainModelOf(t, root, host, fs) }

// trainModelOf learns h's model from fs as train does, into root.
func trainModelOf(t *testing.T, root string, h netip.Addr, fs []flows.Flow) {
	t.Helper()
	var xs []flows.Features
	for i := range fs {
		d, _ := fs[i].DirectionFrom(h)
		xs = append(xs, fs[i].Features(d))
	}
	enc, err := flows.FitEncoder("quantile", [][]flows.Features{xs}, flows.EncoderOptions{PortClass: true})
	if err != nil {
		t.Fatal(err)
	}
	syms := make([]int32, len(xs))
	for i := range xs {
		syms[i] = enc.Encode(&xs[i])
	}
	o := learner.DefaultOptions()
	o.FinalProb, o.CoreScoring = false, true
	auto, err := learner.Learn(context.Background(), &learner.Dataset{Alphabet: learner.IntAlphabet(enc.AlphabetSize()), Symbols: syms,
		Spans: learner.AppendWindows(nil, 0, len(syms), 10, 1)}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auto, err = auto.Core(); err != nil {
		t.Fatal(err)
	}
	sc := detector.NewScorer(auto, 10, 1)
	var sums []float64
	for _, s := range syms {
		if w := sc.Add(s, 0); w != nil {
			sums = append(sums, w.Score.Sum)
		}
	}
	thr, err := model.NewThreshold(sums, 7)
	if err != nil {
		t.Fatal(err)
	}
	nc := model.NewNoveltyCounter()
	for i := range fs {
		d, _ := fs[i].DirectionFrom(h)
		nc.Add(model.KeyOf(&xs[i]), fs[i].Peer(d), xs[i].Bytes, xs[i].Duration)
	}
	m := &model.Model{Unit: h.String(), Window: 10, Stride: 1, Encoder: enc, Threshold: thr, Automaton: auto,
		Novelty: nc.Novelty(), Training: model.TrainingInfo{Flows: len(fs), Traces: len(sums)}}
	os.MkdirAll(filepath.Join(root, h.String()), 0o755)
	if err := m.Save(filepath.Join(root, h.String(), "model.json")); err != nil {
		t.Fatal(err)
	}
}

// recorded is an alert sink that keeps what it is sent.
type recorded struct {
	discardAlerts
	alerts []incident.Alert
}

func (r *recorded) Send(_ context.Context, a *incident.Alert, _ string) error {
	r.alerts = append(r.alerts, *a)
	return nil
}

func newEngine(t *testing.T, T string, lateness time.Duration) (*Engine, *recorded) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.TrainRoot, cfg.MonitorRoot, cfg.MaxLateness, cfg.IncidentGap = T, "", lateness, time.Minute
	sink := &recorded{}
	e, err := New(cfg, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e, sink
}

// TestEngineEventTime: flows shuffled within the lateness bound give the
// windows and alerts of the same flows in order; flows later than the
// bound are counted, not judged; incidents close once the watermark,
// moved on by other hosts' flows, has passed the gap.
func TestEngineEventTime(t *testing.T) {
	dir := t.TempDir()
	T := filepath.Join(dir, "T")
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	trainModel(t, T, traffic(day, 2000, 0))
	live := traffic(day.Add(24*time.Hour), 400, 97)

	judge := func(fs []flows.Flow, lateness time.Duration) (Status, []string) {
		e, sink := newEngine(t, T, lateness)
		for i := range fs {
			if err := e.Flow(&fs[i], nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.End(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range sink.alerts {
			b, _ := json.Marshal(a)
			got = append(got, string(b))
		}
		return e.Status(), got
	}
	want, wantAlerts := judge(live, 0)
	if want.Windows != 391 || want.Anomalies == 0 || len(wantAlerts) == 0 {
		t.Fatalf("in order: %+v, %d alerts; want 391 windows, anomalies and alerts", want, len(wantAlerts))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	shuffled := slices.Clone(live)
	key := map[int64]int64{}
	for _, f := range shuffled { // each flow comes up to 20 s late
		key[f.Start] = f.Start + rng.Int64N(int64(20*time.Second))
	}
	slices.SortStableFunc(shuffled, func(a, b flows.Flow) int { return int(key[a.Start] - key[b.Start]) })
	got, gotAlerts := judge(shuffled, time.Minute)
	if got.Windows != want.Windows || got.Anomalies != want.Anomalies || got.Late != 0 || !slices.Equal(gotAlerts, wantAlerts) {
		t.Errorf("shuffled within the bound: %+v, %d alerts; want %+v, %d alerts", got, len(gotAlerts), want, len(wantAlerts))
	}
	late := slices.Clone(live)
	late = append(late[:200:200], append([]flows.Flow{live[5]}, live[200:]...)...) // 195 s late
	got, _ = judge(late, time.Minute)
	if got.Late != 1 || got.Windows != want.Windows {
		t.Errorf("one flow later than the bound: %+v; want it counted late and the windows unchanged", got)
	}

	// The unit goes quiet with an incident open; other hosts' flows move
	// event time on, and once the idle timeout has passed a sweep closes
	// it.
	e, sink := newEngine(t, T, 0)
	e.cfg.IdleTimeout = time.Millisecond
	for i := range live[:100] {
		e.Flow(&live[i], nil)
	}
	other := flows.Flow{Start: live[99].Start + int64(2*time.Minute), Src: peer, Dst: odd}
	e.Flow(&other, nil)
	time.Sleep(5 * time.Millisecond) // the unit's source is quiet past the idle timeout
	if err := e.Sweep(); err != nil {
		t.Fatal(err)
	}
	if st := e.Status(); st.Open != 0 || len(sink.alerts) == 0 || sink.alerts[len(sink.alerts)-1].Event != incident.Close {
		t.Errorf("after the gap: %d open, last alert %+v; want the incident closed", st.Open, sink.alerts[len(sink.alerts)-1].Event)
	}
}

// TestSelectUnits: watch judges every host run judges, by the model run
// would pick (a group's for a member without its own folder), and leaves
// out, saying so, a host whose model is not trained yet.
func TestSelectUnits(t *testing.T) {
	dir := t.TempDir()
	T, M := filepath.Join(dir, "T"), filepath.Join(dir, "M")
	for _, f := range []string{"web/model.json", "10.1.0.13/model.json"} {
		os.MkdirAll(filepath.Join(T, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(T, f), []byte("{}"), 0o644)
	}
	os.WriteFile(filepath.Join(T, "web", "group.json"), []byte(`{"name":"web","members":["10.1.0.12"]}`), 0o644)
	os.MkdirAll(filepath.Join(M, "10.1.0.14"), 0o755)
	var said []string
	cfg := Config{TrainRoot: T, MonitorRoot: M, Log: func(f string, a ...any) { said = append(said, fmt.Sprintf(f, a...)) }}
	specs, err := selectUnits(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range specs {
		got = append(got, s.name+"="+s.owner)
	}
	if strings.Join(got, " ") != "10.1.0.12=web 10.1.0.13=10.1.0.13" || len(said) != 1 || !strings.Contains(said[0], "10.1.0.14") {
		t.Errorf("units %v, said %q", got, said)
	}
	cfg.Services = []netip.Addr{netip.MustParseAddr("10.1.0.14")}
	if _, err := selectUnits(&cfg); err == nil {
		t.Error("--service 10.1.0.14 without a model accepted")
	}
}
