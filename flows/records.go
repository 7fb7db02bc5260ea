package flows

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// recordReader reads the records of a comma-separated file as encoding/csv
// does (FieldsPerRecord -1, no lazy quotes, empty lines skipped), faster:
// a line without a double quote, which is nearly every flow row, is split
// at the separator directly; a record with quotes (possibly over several
// lines) is handed to encoding/csv whole, so quoting follows its rules and
// its errors. The returned slice is reused by the next call; its strings
// stay valid.
//
// Lines are cut from chunks: the whole lines in the read buffer become one
// string, and fields are substrings of it: a string per line would be an
// allocation per row, most of a run's garbage. A field kept after the next
// call keeps its chunk (64 KiB) in memory: decoders copy what they keep.
//
// A line longer than max bytes, or a record over several lines longer
// than that in all, ends reading with an *input.Error (without the file
// name, which the decoder adds) wrapping input.ErrLineTooLong; no more of
// it is read than the limit.
type recordReader struct {
	br     *bufio.Reader
	comma  byte
	max    int // the longest line or record accepted, in bytes
	line   int // first line of the last record returned
	read   int // lines consumed
	fields []string
	chunk  string // whole lines read but not yet returned
	long   []byte // a line longer than br's buffer
	err    error  // the error that ended reading
	// errField is the field of the last record's quoting error (see
	// quoteErrorField), -1 when not known.
	errField int
}

// newRecordReader reads the records of r, whose fields are separated by
// comma, with lines and records of at most maxLine bytes (0:
// input.DefaultMaxLine).
func newRecordReader(r io.Reader, comma rune, maxLine int) *recordReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	return &recordReader{br: br, comma: byte(comma), max: input.MaxLine(maxLine)}
}

// refill sets chunk to the next whole lines (the last line of a file may
// lack its newline), or returns the error that ends reading.
func (r *recordReader) refill() error {
	if r.err != nil {
		return r.err
	}
	data, err := r.br.Peek(r.br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		r.err = err
		// The whole lines read before the stream broke come first, so
		// that the error is reported at the line it broke in.
		i := bytes.LastIndexByte(data, '\n')
		if i < 0 {
			return err
		}
		r.chunk = string(data[:i+1])
		_, _ = r.br.Discard(i + 1)
		return nil
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	} else if len(data) == r.br.Size() {
		return r.refillLong()
	}
	if len(data) == 0 {
		r.err = io.EOF
		return r.err
	}
	r.chunk = string(data)
	_, _ = r.br.Discard(len(data)) // buffered: cannot fail
	return nil
}

// refillLong sets chunk to one line longer than the read buffer, or fails
// as soon as the line is known to be longer than the limit.
func (r *recordReader) refillLong() error {
	r.long = r.long[:0]
	for {
		part, err := r.br.ReadSlice('\n')
		r.long = append(r.long, part...)
		if errors.Is(err, bufio.ErrBufferFull) {
			// Longer than max even if its last byte is the CR of a CRLF.
			if len(r.long) > r.max+1 {
				r.err = input.LineTooLong("", r.read+1, r.max)
				return r.err
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			r.err = err
			return err
		}
		break
	}
	r.chunk = string(r.long)
	return nil
}

// nextLine returns the next line with its line ending, or the error that
// ends reading (io.EOF at the end).
func (r *recordReader) nextLine() (string, error) {
	if r.chunk == "" {
		if err := r.refill(); err != nil {
			return "", err
		}
	}
	var raw string
	if i := strings.IndexByte(r.chunk, '\n'); i >= 0 {
		raw, r.chunk = r.chunk[:i+1], r.chunk[i+1:]
	} else {
		raw, r.chunk = r.chunk, ""
	}
	if len(raw) > r.max && len(trimEnding(raw)) > r.max {
		r.err, r.chunk = input.LineTooLong("", r.read+1, r.max), ""
		return "", r.err
	}
	r.read++
	return raw, nil
}

// trimEnding returns line without its line ending ("\n" or "\r\n").
func trimEnding(line string) string {
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
}

// Read returns the next record.
func (r *recordReader) Read() ([]string, error) {
	r.errField = -1
	var raw, line string
	for {
		l, err := r.nextLine()
		if err != nil {
			return nil, err
		}
		raw = l
		line = trimEnding(l)
		if len(line) > 0 {
			break
		}
	}
	r.line = r.read
	if strings.IndexByte(line, '"') >= 0 {
		return r.quoted(raw)
	}
	s := line
	r.fields = r.fields[:0]
	for {
		i := strings.IndexByte(s, r.comma)
		if i < 0 {
			r.fields = append(r.fields, s)
			return r.fields, nil
		}
		r.fields = append(r.fields, s[:i])
		s = s[i+1:]
	}
}

// quoted reads the rest of a record that holds quotes (lines until its
// quotes balance) and parses it, as read, with encoding/csv.
func (r *recordReader) quoted(first string) ([]string, error) {
	text := []byte(first)
	open := strings.Count(first, `"`)%2 == 1
	for open {
		raw, err := r.nextLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(text)+len(trimEnding(raw)) > r.max {
			r.err, r.chunk = input.RecordTooLong("", r.line, r.max), ""
			return nil, r.err
		}
		text = append(text, raw...)
		open = open != (strings.Count(raw, `"`)%2 == 1)
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = rune(r.comma)
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			pe.StartLine += r.line - 1
			pe.Line += r.line - 1
			r.errField = quoteErrorField(string(text), r.comma)
		}
		return nil, err
	}
	r.fields = append(r.fields[:0], rec...)
	return r.fields, nil
}

// quoteErrorField returns the index of the field of a record's text (one
// record, possibly over several lines) in which its quoting goes wrong: a
// quote inside an unquoted field, text after a closing quote, or a quote
// never closed; -1 when the quoting is in order.
func quoteErrorField(text string, comma byte) int {
	field, atStart := 0, true
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == comma:
			field, atStart = field+1, true
			continue
		case c == '\n' || c == '\r':
			return -1 // the record ended with its quotes in order
		case c != '"':
			atStart = false
			continue
		case !atStart:
			return field // a bare quote
		}
		// A quoted field: find its closing quote ("" is a quote inside).
		j := i + 1
		for ; j < len(text); j++ {
			if text[j] == '"' {
				if j+1 < len(text) && text[j+1] == '"' {
					j++
					continue
				}
				break
			}
		}
		if j >= len(text) {
			return field // never closed
		}
		if k := j + 1; k < len(text) && text[k] != comma && text[k] != '\n' && text[k] != '\r' {
			return field // text after the closing quote
		}
		i, atStart = j, false
	}
	return -1
}
