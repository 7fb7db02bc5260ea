package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// goflow2 reads goflow2's JSON lines (-format=json): one object per flow
// with time_flow_start_ns, time_flow_end_ns, src_addr, dst_addr, src_port,
// dst_port, proto (a name like "TCP" in goflow2 v2, a number in v1), bytes,
// packets and, for sampled exports, sampling_rate. Counts are as exported
// (not multiplied by the sampling rate). Older exports name the times
// time_flow_start and time_flow_end (seconds); both are read.
type goflow2 struct{}

func (goflow2) Name() string { return "goflow2" }

func (goflow2) Detect(line string) bool {
	l := strings.TrimSpace(line)
	return strings.HasPrefix(l, "{") && strings.Contains(l, `"src_addr"`) && strings.Contains(l, `"dst_addr"`)
}

func (goflow2) NewDecoder(r io.Reader, file string, opts DecodeOptions) (Decoder, error) {
	return newLineDecoder(r, file, opts, decodeGoflow2), nil
}

type goflow2JSON struct {
	Start   json.RawMessage `json:"time_flow_start_ns"`
	End     json.RawMessage `json:"time_flow_end_ns"`
	StartS  json.RawMessage `json:"time_flow_start"`
	EndS    json.RawMessage `json:"time_flow_end"`
	Src     json.RawMessage `json:"src_addr"`
	Dst     json.RawMessage `json:"dst_addr"`
	SrcPort json.RawMessage `json:"src_port"`
	DstPort json.RawMessage `json:"dst_port"`
	Proto   json.RawMessage `json:"proto"`
	Bytes   json.RawMessage `json:"bytes"`
	Packets json.RawMessage `json:"packets"`
}

func decodeGoflow2(line []byte, f *Flow) (string, error) {
	var g goflow2JSON
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&g); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadValue, err)
	}
	if len(g.Start) == 0 && len(g.StartS) > 0 {
		// Seconds (older exports): a float is all there is.
		s, ok := jsonNumber(g.StartS)
		if !ok || s*1e9 >= 1<<63 {
			return "time_flow_start", badValue(g.StartS)
		}
		f.Start = int64(s * 1e9)
		if len(g.EndS) > 0 {
			e, ok := jsonNumber(g.EndS)
			if !ok {
				return "time_flow_end", badValue(g.EndS)
			}
			if d := e - s; d > 0 {
				f.Duration = d
			}
		}
	} else {
		// Nanoseconds are read as integers: through a float64 they would
		// lose their last 8 bits (256 ns) and move windows and incidents.
		if len(g.Start) == 0 {
			return "time_flow_start_ns", ErrMissingColumn
		}
		s, ok := jsonNanos(g.Start)
		if !ok || s > math.MaxInt64 { // after 2262
			return "time_flow_start_ns", badValue(g.Start)
		}
		f.Start = int64(s)
		if len(g.End) > 0 {
			e, ok := jsonNanos(g.End)
			if !ok {
				return "time_flow_end_ns", badValue(g.End)
			}
			if e > s {
				f.Duration = float64(e-s) / 1e9
			}
		}
	}
	var err error
	src, ok := jsonString(g.Src)
	if !ok || len(g.Src) == 0 {
		return "src_addr", badValue(g.Src)
	}
	if f.Src, err = parseAddr(src); err != nil {
		return "src_addr", err
	}
	dst, ok := jsonString(g.Dst)
	if !ok || len(g.Dst) == 0 {
		return "dst_addr", badValue(g.Dst)
	}
	if f.Dst, err = parseAddr(dst); err != nil {
		return "dst_addr", err
	}
	for _, p := range []struct {
		name string
		v    json.RawMessage
		dst  *uint16
	}{{"src_port", g.SrcPort, &f.SrcPort}, {"dst_port", g.DstPort, &f.DstPort}} {
		n, ok := jsonNumber(p.v)
		if !ok || n > 65535 || n != float64(int(n)) {
			return p.name, badValue(p.v)
		}
		*p.dst = uint16(n)
	}
	if f.Proto, ok = jsonProto(g.Proto); !ok {
		return "proto", badValue(g.Proto)
	}
	b, ok := jsonNumber(g.Bytes)
	if !ok || b >= 1<<64 {
		return "bytes", badValue(g.Bytes)
	}
	pk, ok := jsonNumber(g.Packets)
	if !ok || pk >= 1<<64 {
		return "packets", badValue(g.Packets)
	}
	f.Bytes, f.Packets = uint64(b), uint64(pk)
	if !f.Proto.HasPorts() {
		f.SrcPort, f.DstPort = 0, 0
	}
	return "", nil
}

// jsonNanos reads a time in nanoseconds: an integer (or an integer in a
// string), exactly; a number with a fraction or an exponent is read as a
// float, rounded, as some exporters write them so.
func jsonNanos(v json.RawMessage) (uint64, bool) {
	t := strings.Trim(strings.TrimSpace(string(v)), `"`)
	if t == "" || t == "null" {
		return 0, true
	}
	if n, err := strconv.ParseUint(t, 10, 64); err == nil {
		return n, true
	}
	x, ok := jsonNumber(v)
	if !ok || x >= 1<<64 {
		return 0, false
	}
	return uint64(math.Round(x)), true
}
