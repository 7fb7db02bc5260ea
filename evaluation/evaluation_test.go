package evaluation

import (
	"math"
	"net/netip"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		label string
		want  Class
	}{
		{"flow=From-Botnet-V46-TCP-Attempt-SPAM", Malicious},
		{"flow=From-Botnet-V46-UDP-DNS", Malicious},
		{"flow=From-Normal-V46-HTTP", Benign},
		{"flow=To-Normal-V46-UDP-CVUT-DNS-Server", Benign},
		{"flow=Background-UDP-Established", Unknown},
		{"flow=Background", Unknown},
		{"normal", Benign},
		{"anomaly:port-scan", Malicious},
		{"", Unknown},
		{"something else", Unknown},
	}
	for _, tc := range tests {
		if got := Classify(tc.label); got != tc.want {
			t.Errorf("Classify(%q) = %v, want %v", tc.label, got, tc.want)
		}
	}
}

func TestTraceClass(t *testing.T) {
	B, M, U := Benign, Malicious, Unknown
	tests := []struct {
		in   []Class
		want Class
	}{
		{[]Class{B, B, B}, B},
		{[]Class{B, M, U}, M},
		{[]Class{B, U, B}, U},
		{[]Class{U}, U},
		{nil, U},
	}
	for _, tc := range tests {
		if got := TraceClass(tc.in); got != tc.want {
			t.Errorf("TraceClass(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestMetricsByHand(t *testing.T) {
	// 8 TP, 2 FN, 1 FP, 89 TN; 6 of the 8 true alarms blamed a malicious flow.
	m := Counts{Traces: 120, TP: 8, FN: 2, FP: 1, TN: 89, Hits: 6, HitsKnown: 8}.Metrics()
	want := Metrics{Traces: 120, Evaluated: 100, TP: 8, FP: 1, TN: 89, FN: 2,
		Precision: 8.0 / 9, Recall: 0.8, FPR: 1.0 / 90, RootCauseHitRate: 0.75}
	want.F1 = 2 * want.Precision * want.Recall / (want.Precision + want.Recall)
	want.BalancedAccuracy = (0.8 + 89.0/90) / 2
	if !close(m, want) {
		t.Errorf("got %+v\nwant %+v", m, want)
	}
	// No alarms, no positives: zero rates, not NaN.
	z := Counts{TN: 5}.Metrics()
	if z.Precision != 0 || z.Recall != 0 || z.F1 != 0 || z.FPR != 0 || z.BalancedAccuracy != 1 {
		t.Errorf("degenerate metrics %+v", z)
	}
}

func close(a, b Metrics) bool {
	f := func(x, y float64) bool { return math.Abs(x-y) < 1e-12 }
	return a.Traces == b.Traces && a.Evaluated == b.Evaluated && a.TP == b.TP && a.FP == b.FP && a.TN == b.TN && a.FN == b.FN &&
		f(a.Precision, b.Precision) && f(a.Recall, b.Recall) && f(a.F1, b.F1) && f(a.FPR, b.FPR) &&
		f(a.BalancedAccuracy, b.BalancedAccuracy) && f(a.RootCauseHitRate, b.RootCauseHitRate)
}

func TestCount(t *testing.T) {
	B, M, U := Benign, Malicious, Unknown
	classes := []Class{B, B, M, B, U, B, B}
	spans := []learner.Span{{Start: 0, End: 2}, {Start: 1, End: 3}, {Start: 2, End: 4}, {Start: 3, End: 5}, {Start: 5, End: 7}}
	verdicts := []Verdict{
		{true, 0},   // benign trace flagged: FP
		{true, 1},   // malicious, blames flow 2 (malicious): TP, hit
		{false, -1}, // malicious, missed: FN
		{true, 0},   // unknown trace: left out
		{false, -1}, // benign: TN
	}
	got := Count(classes, spans, verdicts)
	want := Counts{Traces: 5, TP: 1, FP: 1, TN: 1, FN: 1, Hits: 1, HitsKnown: 1}
	if got != want {
		t.Errorf("Count = %+v, want %+v", got, want)
	}
}

func TestNewConnection(t *testing.T) {
	host := netip.MustParseAddr("10.0.0.1")
	peer := netip.MustParseAddr("10.0.0.2")
	other := netip.MustParseAddr("203.0.113.9")
	f := func(src, dst netip.Addr, port uint16) flows.Flow {
		return flows.Flow{Src: src, Dst: dst, DstPort: port}
	}
	train := []flows.Flow{f(host, peer, 443), f(peer, host, 22)}
	d := NewNewConnection()
	d.Learn(train, []flows.Direction{flows.Outbound, flows.Inbound})
	mon := []flows.Flow{f(host, peer, 443), f(peer, host, 22), f(host, other, 25), f(host, peer, 443), f(host, peer, 80)}
	dirs := []flows.Direction{flows.Outbound, flows.Inbound, flows.Outbound, flows.Outbound, flows.Outbound}
	got := d.Verdicts(mon, dirs, []learner.Span{{Start: 0, End: 2}, {Start: 1, End: 4}, {Start: 3, End: 5}})
	want := []Verdict{{false, -1}, {true, 1}, {true, 1}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("trace %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestAtThreshold(t *testing.T) {
	got := AtThreshold([]ScoredTrace{{-10, -2, 3}, {-50, -9, 1}, {-20, -3, 0}, {-15, -8, 2}}, Thresholds{Sum: -20, Flow: -7})
	want := []Verdict{{false, 3}, {true, 1}, {false, 0}, {true, 2}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("trace %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if ks := DefaultKs(); len(ks) != 19 || ks[0] != 1 || ks[len(ks)-1] != 10 {
		t.Errorf("DefaultKs = %v", ks)
	}
}
