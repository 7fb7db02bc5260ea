package flows

import (
	"bufio"
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
// decode turns one line into a flow or names the bad field.
type lineDecoder struct {
	file    string
	br      *bufio.Reader
	line    int
	opts    DecodeOptions
	skipped int
	decode  func(line []byte, f *Flow) (field string, err error)
}

func newLineDecoder(r io.Reader, file string, opts DecodeOptions, decode func([]byte, *Flow) (string, error)) *lineDecoder {
	return &lineDecoder{file: file, br: bufio.NewReaderSize(r, 1<<16), opts: opts, decode: decode}
}

// readLine returns the next line without its newline, or io.EOF.
func (d *lineDecoder) readLine() ([]byte, error) {
	b, err := d.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = d.br.ReadSlice('\n')
			long = append(long, b...)
			if len(long) > 1<<24 {
				d.line++
				return nil, &input.Error{File: d.file, Line: d.line, Err: fmt.Errorf("%w: line longer than 16 MiB", ErrBadValue)}
			}
		}
		b = long
	}
	if len(b) == 0 && err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, &input.Error{File: d.file, Line: d.line + 1, Err: fmt.Errorf("reading: %w", err)}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &input.Error{File: d.file, Line: d.line + 1, Err: fmt.Errorf("reading: %w", err)}
	}
	d.line++
	return bytes.TrimRight(b, "\r\n"), nil
}

func (d *lineDecoder) Next(f *Flow) error {
	for {
		b, err := d.readLine()
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		*f = Flow{}
		field, err := d.decode(b, f)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errDrop):
			continue
		case errors.Is(err, errEnd):
			return io.EOF
		case d.opts.SkipBadRows:
			d.skipped++
			continue
		}
		return &input.Error{File: d.file, Line: d.line, Field: field, Err: err}
	}
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

func badValue(v json.RawMessage) error {
	return fmt.Errorf("%w: %s", ErrBadValue, truncate(string(v), 60))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
