// Package input is how the project reports problems in the files it is
// given: flow files, trace files, models, group files, predictions. Every
// reader returns an *Error that names the file, the line and the field, and
// unwraps to the cause, so that a user can find the place and a caller can
// still errors.Is the reason. JSON inputs are decoded by one strict path,
// DecodeJSON, whose errors become an *Error with the line by JSONError.
//
// It is also where input files are opened and read, so that every reader
// is safe with hostile or odd files: Open takes regular files only (a
// named pipe or a device would block or never end), WithContext makes a
// read stop when the command is cancelled, Scanner and the flow readers
// bound the length of a line (DefaultMaxLine), and Quote cuts the values
// that errors show.
package input

import (
	"errors"
	"fmt"
	"io"
)

// Error reports a problem in an input file. It names the file, the line
// (1-based; 0 when the problem is not on one line) and the field (a
// column, a JSON member or a header item; empty when the whole line or
// file is bad), and unwraps to the cause.
type Error struct {
	File  string // file name as given by the caller
	Line  int    // 1-based line number; 0 when not tied to a line
	Field string // column or field name; empty when the whole row is bad
	Err   error  // the cause
}

// Error formats as `file:line: field "name": cause`, leaving out what is
// not known.
func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		// A field name may come from the file (a header): quoted, and cut.
		return fmt.Sprintf("%s: field %s: %v", loc, Quote(e.Field), e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ReadError reports a stream of file that broke while line was being
// read: a compressed stream cut short says so, as that is the usual cause.
func ReadError(file string, line int, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{File: file, Line: line, Err: fmt.Errorf("reading: the data ends early (a truncated or corrupt compressed file?): %w", err)}
	}
	return &Error{File: file, Line: line, Err: fmt.Errorf("reading: %w", err)}
}
