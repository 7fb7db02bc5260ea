package input

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
)

// WithContext returns a reader of r that fails with ctx's error once ctx
// is done, so that a command stopped by Ctrl-C stops reading too. It checks
// at every Read: reading a regular file never blocks for long (Open takes
// nothing else), so a reader in a loop sees the cancellation within one
// buffer's worth of data.
func WithContext(ctx context.Context, r io.Reader) io.Reader {
	done := ctx.Done()
	if done == nil {
		return r // never cancelled (context.Background)
	}
	return &ctxReader{ctx: ctx, done: done, r: r}
}

type ctxReader struct {
	ctx  context.Context
	done <-chan struct{}
	r    io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	select {
	case <-c.done:
		return 0, c.ctx.Err()
	default:
	}
	return c.r.Read(p)
}

// DefaultMaxLine is the longest line (or record over several lines) the
// readers accept by default, in bytes: far more than any flow, trace or
// predictions row, and little enough to hold in memory at once.
const DefaultMaxLine = 1 << 20

// MaxLine returns the line limit an option n asks for: n itself, or
// DefaultMaxLine when n is 0 (or less).
func MaxLine(n int) int {
	if n <= 0 {
		return DefaultMaxLine
	}
	return n
}

// ErrLineTooLong is wrapped by the error of a line, or a record, longer
// than a reader's limit. Such an input is never read further: where its
// next line starts is not known without reading on without bound.
var ErrLineTooLong = errors.New("line too long")

// LineTooLong returns the *Error of a line of file that is longer than
// max bytes.
func LineTooLong(file string, line, max int) error {
	return &Error{File: file, Line: line, Err: fmt.Errorf("%w: more than %d bytes (not a file of this kind? --max-line raises the limit)", ErrLineTooLong, max)}
}

// RecordTooLong returns the *Error of a record that starts at line of
// file, runs over several lines (a quoted value holds line breaks) and is
// longer than max bytes in all.
func RecordTooLong(file string, line, max int) error {
	return &Error{File: file, Line: line, Err: fmt.Errorf("%w: the quoted record that starts here runs on for more than %d bytes (a quote never closed? --max-line raises the limit)", ErrLineTooLong, max)}
}

// Scanner reads an input file line by line, as a bufio.Scanner with
// bufio.ScanLines does (the line ending, "\n" or "\r\n", is dropped; the
// last line may lack one), in memory bounded by the longest line it
// accepts. Its errors are *Error values naming the file and the line: a
// line longer than the limit, or a stream that broke; a line cut short by
// a broken stream (a truncated gzip) is reported as the break rather than
// returned.
type Scanner struct {
	sc   *bufio.Scanner
	buf  []byte
	src  *errorReader
	file string
	max  int
	line int
}

// NewScanner returns a Scanner of r; file names it in errors, maxLine is
// the longest line accepted in bytes, line ending excluded (0:
// DefaultMaxLine).
func NewScanner(r io.Reader, file string, maxLine int) *Scanner {
	s := &Scanner{src: &errorReader{r: r}, file: file, max: min(MaxLine(maxLine), math.MaxInt-2)}
	s.buf = make([]byte, 0, min(1<<16, s.max+2))
	s.start()
	return s
}

func (s *Scanner) start() {
	s.sc = bufio.NewScanner(s.src)
	// Two bytes beyond the limit: a line of max bytes and its "\r\n".
	s.sc.Buffer(s.buf, s.max+2)
	s.sc.Split(s.split)
}

// Resume makes a Scanner that reached the end of its input read on: the
// next Scan reads the reader again, for a stream that is fed in pieces
// (the records of messages, one after another). Line numbers go on.
func (s *Scanner) Resume() {
	if s.sc.Err() == nil {
		s.start()
	}
}

// errTooLong is the split function's signal that the line is too long.
var errTooLong = errors.New("too long")

func (s *Scanner) split(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 && atEOF && s.src.err != nil && len(data) > 0 {
		return 0, nil, s.src.err // a last line that the break cut short
	}
	if i < 0 && len(data) > s.max+1 {
		// Even if the last byte is a CR of "\r\n", the line has more than
		// max bytes.
		return 0, nil, errTooLong
	}
	advance, token, err := bufio.ScanLines(data, atEOF)
	if len(token) > s.max {
		return 0, nil, errTooLong
	}
	return advance, token, err
}

// Scan advances to the next line, which Bytes and Text return, and
// reports whether there is one; at the end of the input, or on an error,
// it returns false and Err says which.
func (s *Scanner) Scan() bool {
	if !s.sc.Scan() {
		return false
	}
	s.line++
	return true
}

// Bytes returns the current line, without its ending. The slice is valid
// until the next Scan.
func (s *Scanner) Bytes() []byte { return s.sc.Bytes() }

// Text returns the current line as a string, without its ending.
func (s *Scanner) Text() string { return s.sc.Text() }

// Line returns the 1-based number of the current line (0 before the first
// Scan).
func (s *Scanner) Line() int { return s.line }

// Err returns nil at the end of the input, or the *Error that ended the
// scan, at the line that could not be read.
func (s *Scanner) Err() error {
	err := s.sc.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errTooLong), errors.Is(err, bufio.ErrTooLong):
		return LineTooLong(s.file, s.line+1, s.max)
	}
	return ReadError(s.file, s.line+1, err)
}

// errorReader remembers the first error other than io.EOF that its reader
// returned.
type errorReader struct {
	r   io.Reader
	err error
}

func (e *errorReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}
