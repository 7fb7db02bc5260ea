package rootcause

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
)

// knownPeers says peers in 10.0.0.0/24 were seen in training, and ports
// below 1000.
type knownPeers struct{}

func (knownPeers) Says(peer netip.Addr, x *flows.Features) (bool, bool) {
	return x.DstPort >= 1000, !netip.MustParsePrefix("10.0.0.0/24").Contains(peer)
}

// TestIncidents: root causes add up to the incidents an analyst would
// name, each of the right kind, with its peer and port.
func TestIncidents(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	var anomalies []Anomaly
	flow := 0
	add := func(at time.Duration, d flows.Direction, peer string, port uint16, bytes uint64) {
		c := flows.Connection{Direction: d, Peer: netip.MustParseAddr(peer), Port: port}
		x := flows.Features{Bytes: bytes, Packets: 1, DstPort: port, Proto: flows.ProtoTCP, Dir: d}
		w := &detector.Window{Index: flow, First: 10 * flow, Start: t0 + int64(at), End: t0 + int64(at), Symbols: []int32{0}, Flows: []flows.Features{x}}
		w.Score.Scores, w.Score.States = []float64{-5}, []int32{0}
		w.Cause = detector.Cause{Index: 0, Flow: flow, Start: t0 + int64(at), Conn: c}
		anomalies = append(anomalies, NewAnomaly(w))
		flow++
	}
	// A scan of 12 ports of 10.0.0.5 within a second.
	for p := range 12 {
		add(time.Hour+time.Duration(p)*time.Millisecond, flows.Outbound, "10.0.0.5", uint16(2000+p), 60)
	}
	// SMTP to 11 outside hosts.
	for i := range 11 {
		add(2*time.Hour+time.Duration(i)*time.Second, flows.Outbound, fmt.Sprintf("198.51.100.%d", 10+i), 25, 2000)
	}
	// A beacon every 4 minutes to 192.0.2.14:443, one check-in missing.
	for i := range 8 {
		if i == 4 {
			continue
		}
		add(3*time.Hour+time.Duration(i)*4*time.Minute+time.Duration(i)*time.Second/10, flows.Outbound, "192.0.2.14", 443, 300)
	}
	// 40 MB to an outside host never seen.
	add(4*time.Hour, flows.Outbound, "203.0.113.9", 443, 30_000_000)
	add(4*time.Hour+time.Minute, flows.Outbound, "203.0.113.9", 443, 10_000_000)
	// Hours after the scan, one flow to the same peer on 5432: not part
	// of the scan.
	add(5*time.Hour, flows.Outbound, "10.0.0.5", 5432, 800)

	got := Incidents("10.0.0.1", anomalies, knownPeers{}, &incident.Model{Threshold: -1, SD: 1, BytesOutP99: 50_000}, 12*time.Minute)
	var lines []string
	for _, in := range got {
		lines = append(lines, in.Kind+": "+in.Summary)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"port scan: scan of 12 ports of 10.0.0.5",
		"fan-out: SMTP to 11 hosts",
		"beaconing: beaconing to 192.0.2.14:443 (HTTPS) every 4m0s",
		"exfiltration: exfiltration: 40.0 MB to 203.0.113.9:443 (HTTPS) in 2 transfers",
		"unusual port: unusual port: to 10.0.0.5:5432 (PostgreSQL)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("incidents lack %q:\n%s", want, text)
		}
	}
	if len(got) != 5 {
		t.Errorf("%d incidents, want 5:\n%s", len(got), text)
	}
	for _, in := range got {
		if in.Kind == "port scan" && (in.Flows != 12 || in.Windows != 12 || in.Port != "*" || in.Rows != "1-12") {
			t.Errorf("scan: %d flows, %d windows (%s), port %s", in.Flows, in.Windows, in.Rows, in.Port)
		}
	}
	if got[0].Evidence < got[len(got)-1].Evidence {
		t.Error("incidents not ranked by evidence")
	}
}
