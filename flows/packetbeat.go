package flows

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/input"
)

// packetbeat reads the Packetbeat flow events exported from Elasticsearch
// as CSV: _source_@timestamp, _source_source_ip, _source_destination_ip,
// _source_source_port, _source_destination_port, _source_network_transport,
// _source_network_bytes, _source_event_duration (nanoseconds),
// _source_flow_id, _source_flow_final, label; _source_network_packets when
// present.
//
// Packetbeat reports, at every period, the running totals of each flow id.
// The decoder turns them into per-period deltas per flow id, in file order:
// a row's bytes, packets and duration are its totals minus those of the
// flow id's previous row. A total that goes down means the flow id was
// reused: the row's totals are the delta. A row whose delta is zero (no
// traffic in the period) is dropped, by design. Deltas need each flow id's
// rows in time order: a row older than its flow id's previous row is an
// error (Kibana exports newest first unless told otherwise) rather than a
// silently wrong delta. A row with
// _source_flow_final true is the flow's last; its id is forgotten, so
// memory stays bounded by the flows alive at once. The flow's time is the
// row's @timestamp (the end of the period).
type packetbeat struct{}

func (packetbeat) Name() string { return "packetbeat" }

func (packetbeat) Detect(line string) bool {
	return slices.Contains(splitHeader(line, ','), "_source_source_ip")
}

func (packetbeat) NewDecoder(r io.Reader, file string, opts DecodeOptions) (Decoder, error) {
	return newCSVDecoder(r, file, ',', &packetbeatRows{totals: map[string]pbTotals{}}, opts)
}

type pbTotals struct {
	bytes, packets uint64
	durationNs     uint64 // integer nanoseconds, so that deltas are exact
	time           int64  // the row's @timestamp
}

type packetbeatRows struct {
	ts, src, dst, sport, dport, proto, bytes, dur, id, final int
	pkts, label                                              int
	n                                                        int
	totals                                                   map[string]pbTotals
	labels                                                   interner
}

func (p *packetbeatRows) columns(h []string) error {
	ci := indexHeader(h)
	c, err := ci.need("_source_@timestamp", "_source_source_ip", "_source_destination_ip", "_source_source_port",
		"_source_destination_port", "_source_network_transport", "_source_network_bytes", "_source_event_duration",
		"_source_flow_id", "_source_flow_final")
	if err != nil {
		return err
	}
	p.ts, p.src, p.dst, p.sport, p.dport, p.proto, p.bytes, p.dur, p.id, p.final = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]
	o, err := ci.optional("_source_network_packets", "label")
	if err != nil {
		return err
	}
	p.pkts, p.label = o[0], o[1]
	p.n = maxOf(append(c, p.pkts, p.label)...) + 1
	return nil
}

func (p *packetbeatRows) width() int { return p.n }

func (p *packetbeatRows) decode(r []string, f *Flow) (string, error) {
	var err error
	if f.Start, err = parseTime(r[p.ts]); err != nil {
		return "_source_@timestamp", err
	}
	if f.Src, err = parseAddr(r[p.src]); err != nil {
		return "_source_source_ip", err
	}
	if f.Dst, err = parseAddr(r[p.dst]); err != nil {
		return "_source_destination_ip", err
	}
	if f.Proto, err = parseProto(r[p.proto]); err != nil {
		return "_source_network_transport", err
	}
	if field, err := parsePorts(f, r[p.sport], r[p.dport], "_source_source_port", "_source_destination_port"); err != nil {
		return field, err
	}
	var tot pbTotals
	if tot.bytes, err = parseCount(r[p.bytes]); err != nil {
		return "_source_network_bytes", err
	}
	if p.pkts >= 0 {
		if tot.packets, err = parseCount(r[p.pkts]); err != nil {
			return "_source_network_packets", err
		}
	}
	ns, err := parseCount(r[p.dur])
	if err != nil {
		return "_source_event_duration", err
	}
	tot.durationNs, tot.time = ns, f.Start
	final := false
	switch v := strings.ToLower(strings.TrimSpace(r[p.final])); v {
	case "true", "1":
		final = true
	case "false", "0", "":
	default:
		return "_source_flow_final", fmt.Errorf("%w: %s is not true or false", ErrBadValue, input.Quote(r[p.final]))
	}
	id := r[p.id]
	prev, seen := p.totals[id]
	if seen && tot.time < prev.time {
		return "_source_@timestamp", fmt.Errorf("%w: %s is earlier than the previous row of flow id %s (%s): sort the export by _source_@timestamp, oldest first",
			ErrBadValue, time.Unix(0, tot.time).UTC().Format(time.RFC3339Nano), input.Quote(id), time.Unix(0, prev.time).UTC().Format(time.RFC3339Nano))
	}
	delta := tot
	if seen && tot.bytes >= prev.bytes && tot.packets >= prev.packets {
		delta.bytes, delta.packets = tot.bytes-prev.bytes, tot.packets-prev.packets
		delta.durationNs = 0
		if tot.durationNs > prev.durationNs {
			delta.durationNs = tot.durationNs - prev.durationNs
		}
	}
	if final {
		delete(p.totals, id)
	} else {
		p.totals[strings.Clone(id)] = tot
	}
	if delta.bytes == 0 && delta.packets == 0 {
		return "", errDrop
	}
	f.Bytes, f.Packets, f.Duration = delta.bytes, delta.packets, float64(delta.durationNs)/1e9
	f.ID = strings.Clone(id)
	if p.label >= 0 {
		f.Label = p.labels.get(r[p.label])
	}
	return "", nil
}
