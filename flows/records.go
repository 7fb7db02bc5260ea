package flows

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// recordReader reads the records of a comma-separated file as encoding/csv
// does (FieldsPerRecord -1, no lazy quotes, empty lines skipped), faster:
// a line without a double quote, which is nearly every flow row, is split
// at the separator directly; a record with quotes (possibly over several
// lines) is handed to encoding/csv whole, so quoting follows its rules and
// its errors. The returned slice is reused by the next call; its strings
// stay valid.
type recordReader struct {
	br     *bufio.Reader
	comma  byte
	line   int // first line of the last record returned
	read   int // lines consumed
	fields []string
	buf    []byte
	raw    []byte // the last line as read, with its line ending
}

func newRecordReader(r io.Reader, comma rune) *recordReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	return &recordReader{br: br, comma: byte(comma)}
}

// readLine returns the next line without its line ending, or io.EOF.
func (r *recordReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.buf = append(r.buf[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.br.ReadSlice('\n')
			r.buf = append(r.buf, line...)
		}
		line = r.buf
	}
	if len(line) > 0 && errors.Is(err, io.EOF) {
		err = nil // a last line without a newline
	}
	if err != nil {
		return nil, err
	}
	r.read++
	r.raw = line
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}

// Read returns the next record.
func (r *recordReader) Read() ([]string, error) {
	var line []byte
	for {
		l, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(l) > 0 {
			line = l
			break
		}
	}
	r.line = r.read
	if bytes.IndexByte(line, '"') >= 0 {
		return r.quoted(r.raw)
	}
	s := string(line)
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
func (r *recordReader) quoted(first []byte) ([]string, error) {
	text := append([]byte(nil), first...)
	for bytes.Count(text, []byte{'"'})%2 == 1 {
		_, err := r.readLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		text = append(text, r.raw...)
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
		}
		return nil, err
	}
	r.fields = append(r.fields[:0], rec...)
	return r.fields, nil
}
