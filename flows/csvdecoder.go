package flows

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// rowFormat is what a comma-separated format supplies to csvDecoder: how
// to map its header, and how to decode one row.
type rowFormat interface {
	// columns maps the header; a missing required column is an error
	// naming it (wrapping ErrMissingColumn).
	columns(header []string) error
	// decode fills f from a row, or names the field that is bad. A row the
	// format drops on purpose returns errDrop.
	decode(rec []string, f *Flow) (field string, err error)
	// width is the number of fields a row needs at least.
	width() int
}

// ender is implemented by formats whose files end with a non-flow block.
type ender interface {
	isEnd(rec []string) bool
}

// errDrop marks a row a format leaves out by design (a Packetbeat period
// without traffic, nfdump's summary block): not bad input.
var errDrop = errors.New("row dropped by design")

// dropRow is errDrop for a row that is a record of something other than
// an IP flow (ARP, Argus management): left out by design too, but
// counted by kind (see Decoder.Dropped), so that a user learns that rows
// of the input were not used, and which.
type dropRow string

func (d dropRow) Error() string        { return "row dropped by design: " + string(d) }
func (d dropRow) Is(target error) bool { return target == errDrop }

// drops counts the rows of each kind a decoder left out (see dropRow).
type drops struct{ kinds []Dropped }

// add counts err's row if it is a dropRow.
func (d *drops) add(err error) {
	var k dropRow
	if !errors.As(err, &k) {
		return
	}
	i := slices.IndexFunc(d.kinds, func(x Dropped) bool { return x.Kind == string(k) })
	if i < 0 {
		i = len(d.kinds)
		d.kinds = append(d.kinds, Dropped{Kind: string(k)})
	}
	d.kinds[i].Rows++
}

// Dropped returns the counts, by kind in the order first met.
func (d *drops) Dropped() []Dropped { return slices.Clone(d.kinds) }

// errEnd marks a row after which the format has no more flows.
var errEnd = errors.New("end of flows")

// csvDecoder streams a comma-separated flow file (records as encoding/csv
// reads them, see recordReader), reusing the record slice, and reports bad
// rows as *input.Error values.
type csvDecoder struct {
	file    string
	header  []string
	cr      *recordReader
	rf      rowFormat
	opts    DecodeOptions
	skipped int
	drops
	done bool
}

func newCSVDecoder(r io.Reader, file string, comma rune, rf rowFormat, opts DecodeOptions) (*csvDecoder, error) {
	cr := newRecordReader(r, comma, opts.MaxLine)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &input.Error{File: file, Line: 1, Err: errors.New("empty file: no header")}
	}
	if err != nil {
		return nil, csvError(file, 1, err)
	}
	h := make([]string, len(header))
	for i, c := range header {
		h[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
		if strings.ContainsRune(h[i], '\r') {
			// The reader splits lines at LF (a CRLF's CR is dropped): a
			// file whose lines end in CR alone reads as one long line.
			return nil, &input.Error{File: file, Line: 1, Err: errors.New("lines end in CR alone (old Mac line endings), so the file reads as one line; convert them to LF or CRLF")}
		}
	}
	if err := rf.columns(h); err != nil {
		var pe *input.Error
		if errors.As(err, &pe) {
			pe.File, pe.Line = file, 1
			return nil, pe
		}
		return nil, &input.Error{File: file, Line: 1, Err: err}
	}
	return &csvDecoder{file: file, header: h, cr: cr, rf: rf, opts: opts}, nil
}

// csvError turns an encoding/csv or reader error into an *input.Error; line
// is the line being read.
func csvError(file string, line int, err error) error {
	var fe *input.Error
	if errors.As(err, &fe) { // the record reader's: a line too long
		fe.File = file
		return fe
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &input.Error{File: file, Line: pe.Line, Err: fmt.Errorf("%w: %v", ErrBadValue, pe.Err)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return input.ReadError(file, line, err)
	}
	return input.ReadError(file, 0, err)
}

func (d *csvDecoder) Next(f *Flow) error {
	for !d.done {
		rec, err := d.cr.Read()
		if errors.Is(err, io.EOF) {
			d.done = true
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && d.opts.SkipBadRows {
				d.skipped++
				continue
			}
			return d.recordError(err)
		}
		line := d.cr.line
		if e, ok := d.rf.(ender); ok && e.isEnd(rec) {
			d.done = true
			continue
		}
		if len(rec) < d.rf.width() {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a blank line
			}
			if d.opts.SkipBadRows {
				d.skipped++
				continue
			}
			return &input.Error{File: d.file, Line: line, Err: fmt.Errorf("%w: %d fields, need %d", ErrFieldCount, len(rec), d.rf.width())}
		}
		*f = Flow{}
		field, err := d.rf.decode(rec, f)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errDrop):
			d.add(err)
			continue
		case errors.Is(err, errEnd):
			d.done = true
			continue
		case d.opts.SkipBadRows:
			d.skipped++
			continue
		}
		return &input.Error{File: d.file, Line: line, Field: field, Err: err}
	}
	return io.EOF
}

// recordError reports a record that does not parse as CSV (its quoting)
// at the record's first line, naming the field where it goes wrong.
func (d *csvDecoder) recordError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return csvError(d.file, d.cr.read+1, err)
	}
	cause := fmt.Errorf("%w: %v", ErrBadValue, pe.Err)
	if pe.Line > pe.StartLine {
		cause = fmt.Errorf("%w: %v (the record's quoted text runs on to line %d)", ErrBadValue, pe.Err, pe.Line)
	}
	field := ""
	switch i := d.cr.errField; {
	case i >= 0 && i < len(d.header):
		field = d.header[i]
	case i >= len(d.header):
		field = fmt.Sprintf("%d (after the header's %d columns)", i+1, len(d.header))
	}
	return &input.Error{File: d.file, Line: pe.StartLine, Field: field, Err: cause}
}

func (d *csvDecoder) Skipped() int { return d.skipped }

// columnIndex finds named columns in a header. A name that the header has
// more than once maps to dupColumn: asking for it is an error, as either
// column could be the one meant.
type columnIndex map[string]int

const dupColumn = -2

func indexHeader(h []string) columnIndex {
	ci := columnIndex{}
	for i, c := range h {
		if _, dup := ci[c]; dup {
			ci[c] = dupColumn
			continue
		}
		ci[c] = i
	}
	return ci
}

// need returns the positions of the required columns, or an error naming
// the first one missing or repeated.
func (ci columnIndex) need(names ...string) ([]int, error) {
	out := make([]int, len(names))
	for i, n := range names {
		p, ok := ci[n]
		if !ok {
			return nil, &input.Error{Field: n, Err: ErrMissingColumn}
		}
		if p == dupColumn {
			return nil, &input.Error{Field: n, Err: ErrDuplicateColumn}
		}
		out[i] = p
	}
	return out, nil
}

// optional returns the positions of optional columns, -1 for each one
// missing, or an error naming the first one repeated.
func (ci columnIndex) optional(names ...string) ([]int, error) {
	out := make([]int, len(names))
	for i, n := range names {
		p, ok := ci[n]
		switch {
		case !ok:
			p = -1
		case p == dupColumn:
			return nil, &input.Error{Field: n, Err: ErrDuplicateColumn}
		}
		out[i] = p
	}
	return out, nil
}

func maxOf(xs ...int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
