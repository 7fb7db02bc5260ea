package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
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
//
// Labels, as Stratosphere's labelled captures carry them (IoT-23, and the
// CTU data sets converted to Zeek), go to Flow.Label:
//   - IoT-23's last field, which holds three values separated by three
//     spaces instead of the separator (its #fields names it
//     "tunnel_parents   label   detailed-label"): any #fields name holding
//     three spaces is read as that many fields, in the header and in every
//     line;
//   - separate "label" and "detailed-label" (or "detailedlabel") fields, in
//     the TSV and the JSON form.
//
// The label is "Malicious   C&C" when there is a detailed label (IoT-23's
// own three-space join: label first, so that it classifies by its first
// word), "Malicious" when the detailed label is unset or "-", and "" when
// the flow has neither. A detailed label without a label is kept as
// "-   C&C", so that the label's place stays first.
type zeek struct{}

func (zeek) Name() string { return "zeek" }

func (zeek) Detect(line string) bool {
	l := strings.TrimSpace(line)
	return strings.HasPrefix(l, "#separator") || strings.HasPrefix(l, "#fields") ||
		(strings.HasPrefix(l, "{") && strings.Contains(l, `"id.orig_h"`))
}

func (zeek) NewDecoder(r io.Reader, file string, opts DecodeOptions) (Decoder, error) {
	z := &zeekDecoder{sep: "\t", unset: "-", empty: "(empty)", compound: -1}
	z.lineDecoder = newLineDecoder(r, file, opts, z.decode)
	return z, nil
}

type zeekDecoder struct {
	*lineDecoder
	sep, unset, empty string
	cols              map[string]int // TSV columns, from #fields
	parts             []string
	// IoT-23's compound last field: the line's field compound holds
	// compoundN fields separated by labelSep (-1: none).
	compound, compoundN int
	labels              interner
}

// labelSep is the separator IoT-23 puts between the values of its last
// field (tunnel_parents, label, detailed-label), and the one Flow.Label
// joins a label and its detailed label with.
const labelSep = "   "

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
	if c := z.compound; c >= 0 && c < len(z.parts) {
		sub := strings.Split(z.parts[c], labelSep)
		if len(sub) != z.compoundN {
			return "", fmt.Errorf("%w: field %d holds %d values separated by three spaces, the header names %d", ErrFieldCount, c+1, len(sub), z.compoundN)
		}
		z.parts = slices.Insert(slices.Delete(z.parts, c, c+1), c, sub...)
	}
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
	return fillZeek(f, func(name string) (string, bool) { return get(name) }, &z.labels)
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
		var names []string
		z.compound = -1
		for i, n := range strings.Split(val, z.sep) {
			if !strings.Contains(n, labelSep) {
				names = append(names, n)
				continue
			}
			if z.compound >= 0 {
				return n, fmt.Errorf("%w: a second field name holding three spaces", ErrBadValue)
			}
			sub := strings.Split(n, labelSep)
			z.compound, z.compoundN = i, len(sub)
			names = append(names, sub...)
		}
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
	}, &z.labels)
	if err == nil && bad != nil {
		return field, bad
	}
	return field, err
}

// fillZeek decodes a connection from its fields, read by get (missing
// fields report ok false; unset ones an empty value). Labels are shared
// through labels.
func fillZeek(f *Flow, get func(string) (string, bool), labels *interner) (string, error) {
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
	label, _ := get("label")
	detail, ok := get("detailed-label")
	if !ok {
		detail, _ = get("detailedlabel")
	}
	if label = strings.TrimSpace(label); label == "-" {
		label = ""
	}
	if label != "" || detail != "" {
		f.Label = labels.get(joinLabel(label, strings.TrimSpace(detail)))
	}
	return "", nil
}

// joinLabel makes Flow.Label of a label and a detailed label (see zeek):
// "label   detailed", or the label alone when the detailed label is empty or
// "-".
func joinLabel(label, detail string) string {
	if detail == "" || detail == "-" {
		return label
	}
	if label == "" || label == "-" {
		label = "-"
	}
	return label + labelSep + detail
}
