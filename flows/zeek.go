package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// zeek reads Zeek's conn.log in both of its forms:
//   - TSV with "#separator", "#fields" and "#types" header lines, "-" for
//     unset fields, "(empty)" for empty ones and a "#close" trailer;
//   - JSON lines (LogAscii::use_json), one connection object per line.
//
// Fields: ts (epoch seconds), uid (the flow id), id.orig_h, id.orig_p,
// id.resp_h, id.resp_p, proto, duration, and the byte and packet counts of
// both directions. Bytes are orig_ip_bytes + resp_ip_bytes when present (IP
// bytes, as NetFlow counts them), else orig_bytes + resp_bytes (payload);
// packets are orig_pkts + resp_pkts. Unset counts and durations are 0.
type zeek struct{}

func (zeek) Name() string { return "zeek" }

func (zeek) Detect(line string) bool {
	l := strings.TrimSpace(line)
	return strings.HasPrefix(l, "#separator") || strings.HasPrefix(l, "#fields") ||
		(strings.HasPrefix(l, "{") && strings.Contains(l, `"id.orig_h"`))
}

func (zeek) NewDecoder(r io.Reader, file string, opts DecodeOptions) (Decoder, error) {
	z := &zeekDecoder{sep: "\t", unset: "-", empty: "(empty)"}
	z.lineDecoder = newLineDecoder(r, file, opts, z.decode)
	return z, nil
}

type zeekDecoder struct {
	*lineDecoder
	sep, unset, empty string
	cols              map[string]int // TSV columns, from #fields
	parts             []string
}

func (z *zeekDecoder) decode(line []byte, f *Flow) (string, error) {
	if line[0] == '#' {
		return z.directive(string(line))
	}
	if line[0] == '{' {
		return z.decodeJSON(line, f)
	}
	if z.cols == nil {
		return "#fields", fmt.Errorf("%w: a data line before the #fields header", ErrMissingColumn)
	}
	z.parts = strings.Split(string(line), z.sep)
	get := func(name string) (string, bool) {
		i, ok := z.cols[name]
		if !ok || i >= len(z.parts) {
			return "", false
		}
		v := z.parts[i]
		if v == z.unset || v == z.empty {
			return "", true
		}
		return v, true
	}
	if len(z.parts) < len(z.cols) {
		return "", fmt.Errorf("%w: %d fields, the header has %d", ErrFieldCount, len(z.parts), len(z.cols))
	}
	return fillZeek(f, func(name string) (string, bool) { return get(name) })
}

// directive handles a "#" header line of the TSV form.
func (z *zeekDecoder) directive(l string) (string, error) {
	key, val, _ := strings.Cut(l, " ")
	if key == "#separator" {
		if sep, err := strconv.Unquote(`"` + strings.TrimSpace(val) + `"`); err == nil && sep != "" {
			z.sep = sep
		}
		return "", errDrop
	}
	key, val, _ = strings.Cut(l, z.sep)
	switch key {
	case "#unset_field":
		z.unset = val
	case "#empty_field":
		z.empty = val
	case "#fields":
		names := strings.Split(val, z.sep)
		ci := indexHeader(names)
		for _, name := range names {
			if ci[name] == dupColumn { // Zeek never repeats a field
				return name, ErrDuplicateColumn
			}
		}
		z.cols = ci
		for _, need := range []string{"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"} {
			if _, ok := z.cols[need]; !ok {
				return need, ErrMissingColumn
			}
		}
	}
	return "", errDrop
}

func (z *zeekDecoder) decodeJSON(line []byte, f *Flow) (string, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadValue, err)
	}
	for _, need := range []string{"ts", "id.orig_h", "id.resp_h", "proto"} {
		if _, ok := m[need]; !ok {
			return need, ErrMissingColumn
		}
	}
	var bad error
	field, err := fillZeek(f, func(name string) (string, bool) {
		v, ok := m[name]
		if !ok {
			return "", false
		}
		if s, isStr := jsonString(v); isStr {
			return s, true
		}
		if n, isNum := jsonNumber(v); isNum {
			return strconv.FormatFloat(n, 'f', -1, 64), true
		}
		bad = badValue(v)
		return "", true
	})
	if err == nil && bad != nil {
		return field, bad
	}
	return field, err
}

// fillZeek decodes a connection from its fields, read by get (missing
// fields report ok false; unset ones an empty value).
func fillZeek(f *Flow, get func(string) (string, bool)) (string, error) {
	var err error
	v, _ := get("ts")
	if v == "" {
		return "ts", fmt.Errorf("%w: unset", ErrBadValue)
	}
	if f.Start, err = parseTime(v); err != nil {
		return "ts", err
	}
	v, _ = get("id.orig_h")
	if f.Src, err = parseAddr(v); err != nil {
		return "id.orig_h", err
	}
	v, _ = get("id.resp_h")
	if f.Dst, err = parseAddr(v); err != nil {
		return "id.resp_h", err
	}
	v, _ = get("proto")
	if f.Proto, err = parseProto(v); err != nil {
		return "proto", err
	}
	sp, _ := get("id.orig_p")
	dp, _ := get("id.resp_p")
	if field, err := parsePorts(f, sp, dp, "id.orig_p", "id.resp_p"); err != nil {
		return field, err
	}
	v, _ = get("duration")
	if f.Duration, err = parseSeconds(v); err != nil {
		return "duration", err
	}
	sum := func(a, b string) (uint64, string, error) {
		x, okA := get(a)
		y, okB := get(b)
		if !okA && !okB {
			return 0, "", errors.New("absent")
		}
		nx, err := parseCount(x)
		if err != nil {
			return 0, a, err
		}
		ny, err := parseCount(y)
		if err != nil {
			return 0, b, err
		}
		return nx + ny, "", nil
	}
	var field string
	if f.Bytes, field, err = sum("orig_ip_bytes", "resp_ip_bytes"); err != nil {
		if field != "" {
			return field, err
		}
		if f.Bytes, field, err = sum("orig_bytes", "resp_bytes"); err != nil && field != "" {
			return field, err
		}
	}
	if f.Packets, field, err = sum("orig_pkts", "resp_pkts"); err != nil && field != "" {
		return field, err
	}
	if uid, ok := get("uid"); ok {
		f.ID = uid
	}
	return "", nil
}
