package flows

import (
	"bytes"
	"encoding/json"
	"errors"
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
	if err := g.scan(line); err != nil {
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

// goflow2Fields are the members of a goflow2 line that are read, by name.
var goflow2Fields = []struct {
	name string
	at   func(*goflow2JSON) *json.RawMessage
}{
	{"time_flow_start_ns", func(g *goflow2JSON) *json.RawMessage { return &g.Start }},
	{"time_flow_end_ns", func(g *goflow2JSON) *json.RawMessage { return &g.End }},
	{"time_flow_start", func(g *goflow2JSON) *json.RawMessage { return &g.StartS }},
	{"time_flow_end", func(g *goflow2JSON) *json.RawMessage { return &g.EndS }},
	{"src_addr", func(g *goflow2JSON) *json.RawMessage { return &g.Src }},
	{"dst_addr", func(g *goflow2JSON) *json.RawMessage { return &g.Dst }},
	{"src_port", func(g *goflow2JSON) *json.RawMessage { return &g.SrcPort }},
	{"dst_port", func(g *goflow2JSON) *json.RawMessage { return &g.DstPort }},
	{"proto", func(g *goflow2JSON) *json.RawMessage { return &g.Proto }},
	{"bytes", func(g *goflow2JSON) *json.RawMessage { return &g.Bytes }},
	{"packets", func(g *goflow2JSON) *json.RawMessage { return &g.Packets }},
}

// scan reads the members of a goflow2 line as encoding/json would decode
// it into g (names matched without regard to case, the last of a name
// repeated winning, what follows the object ignored), checking it is
// valid JSON first; without reflection, as a live monitor reads a line
// per flow (a fifth of the time of encoding/json).
func (g *goflow2JSON) scan(line []byte) error {
	b := skipSpace(line, false)
	end := objectEnd(b)
	if end < 0 || !json.Valid(b[:end]) {
		// encoding/json says what is wrong.
		var v map[string]json.RawMessage
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&v); err != nil {
			return err
		}
		return errors.New("not a JSON object")
	}
	b = b[1 : end-1] // the members, between the braces
	for {
		b = skipSpace(b, true)
		if len(b) == 0 {
			return nil
		}
		k, b0 := stringEnd(b), b
		key := b[1 : k-1]
		b = skipSpace(skipSpace(b[k:], false)[1:], false) // and the colon
		v := valueEnd(b)
		if bytes.IndexByte(key, '\\') >= 0 {
			// A name with escapes is read as encoding/json reads it.
			var name string
			if err := json.Unmarshal(b0[:k], &name); err == nil {
				key = []byte(name)
			}
		}
		for _, fl := range goflow2Fields {
			if len(key) == len(fl.name) && bytes.EqualFold(key, []byte(fl.name)) {
				*fl.at(g) = json.RawMessage(b[:v])
				break
			}
		}
		b = b[v:]
	}
}

// objectEnd returns the length of the JSON object that b starts with, or
// -1 when b does not start with one (it is not checked to be valid).
func objectEnd(b []byte) int {
	if len(b) == 0 || b[0] != '{' {
		return -1
	}
	if n := valueEnd(b); n > 0 && b[n-1] == '}' {
		return n
	}
	return -1
}

// valueEnd returns the length of the JSON value b starts with, of valid
// JSON: a string, an object or array (to its closing bracket), or a
// number or literal (to the next delimiter).
func valueEnd(b []byte) int {
	switch {
	case len(b) == 0:
		return 0
	case b[0] == '"':
		return stringEnd(b)
	case b[0] == '{' || b[0] == '[':
		depth := 0
		for i := 0; i < len(b); i++ {
			switch b[i] {
			case '"':
				i += stringEnd(b[i:]) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i, c := range b {
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			return i
		}
	}
	return len(b)
}

// stringEnd returns the length of the JSON string b starts with,
// quotes included.
func stringEnd(b []byte) int {
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipSpace returns b after its leading JSON white space (and commas).
func skipSpace(b []byte, commas bool) []byte {
	for i, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && !(commas && c == ',') {
			return b[i:]
		}
	}
	return b[len(b):]
}
