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

	"github.com/netflow-monitor/monitor/input"
)

// lineDecoder streams a line-oriented flow file (JSON lines, Zeek TSV):
// decode turns one line into a flow or names the bad field. Lines are read
// by an input.Scanner, up to opts.MaxLine bytes.
type lineDecoder struct {
	file    string
	sc      *input.Scanner
	opts    DecodeOptions
	skipped int
	drops
	decode func(line []byte, f *Flow) (field string, err error)
}

func newLineDecoder(r io.Reader, file string, opts DecodeOptions, decode func([]byte, *Flow) (string, error)) *lineDecoder {
	return &lineDecoder{file: file, sc: input.NewScanner(r, file, opts.MaxLine), opts: opts, decode: decode}
}

func (d *lineDecoder) Next(f *Flow) error {
	for d.sc.Scan() {
		b := bytes.TrimRight(d.sc.Bytes(), "\r")
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		*f = Flow{}
		field, err := d.decode(b, f)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errDrop):
			d.add(err)
			continue
		case errors.Is(err, errEnd):
			return io.EOF
		case d.opts.SkipBadRows:
			d.skipped++
			continue
		}
		return &input.Error{File: d.file, Line: d.sc.Line(), Field: field, Err: err}
	}
	if err := d.sc.Err(); err != nil {
		return err
	}
	// At the end of what the reader had: a stream fed in pieces (a live
	// source's messages) may have more on the next call.
	d.sc.Resume()
	return io.EOF
}

func (d *lineDecoder) Skipped() int { return d.skipped }

// jsonNumber reads a JSON value that should be a number (or a numeric
// string, as some exporters write) as a float.
func jsonNumber(v json.RawMessage) (float64, bool) {
	s := strings.Trim(strings.TrimSpace(string(v)), `"`)
	if s == "" || s == "null" {
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && f >= 0 && f <= math.MaxFloat64 // not NaN, not "Inf"
}

func jsonString(v json.RawMessage) (string, bool) {
	var s string
	if len(v) == 0 {
		return "", true
	}
	if n := len(v); n >= 2 && v[0] == '"' && v[n-1] == '"' && bytes.IndexByte(v[1:n-1], '\\') < 0 && bytes.IndexByte(v[1:n-1], '"') < 0 {
		// No escapes: the text between the quotes (a reader per flow
		// spends its time here).
		return string(v[1 : n-1]), true
	}
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonProto reads a protocol given as a name ("TCP") or a number (6).
func jsonProto(v json.RawMessage) (Protocol, bool) {
	if s, ok := jsonString(v); ok && s != "" {
		return ParseProtocol(s)
	}
	n, ok := jsonNumber(v)
	if !ok || n > 255 || n != float64(int(n)) {
		return 0, false
	}
	return Protocol(n), true
}

// badValue reports a JSON value of the wrong kind, quoting its text.
func badValue(v json.RawMessage) error {
	return fmt.Errorf("%w: %s", ErrBadValue, input.Quote(v))
}
