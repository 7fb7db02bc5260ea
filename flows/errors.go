package flows

import (
	"errors"
	"fmt"
)

// ParseError reports a bad row or a missing column in a flow file. It names
// the file, the line (1-based, 0 when the problem is not on one line) and
// the field, and unwraps to the cause.
type ParseError struct {
	File  string // file name as given by the caller
	Line  int    // 1-based line number; 0 when not tied to a line
	Field string // column or field name; empty when the whole row is bad
	Err   error  // the cause
}

// Error formats as "file:line: field "name": cause".
func (e *ParseError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: field %q: %v", loc, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// Errors that ParseError wraps, for errors.Is.
var (
	// ErrMissingColumn: a required column is not in the header.
	ErrMissingColumn = errors.New("missing column")
	// ErrDuplicateColumn: a column the reader uses is in the header twice.
	ErrDuplicateColumn = errors.New("column appears more than once in the header")
	// ErrBadValue: a field does not parse as its type.
	ErrBadValue = errors.New("bad value")
	// ErrFieldCount: a row has fewer (or more) fields than the header.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrUnknownFormat: the header matches no known flow format.
	ErrUnknownFormat = errors.New("unknown flow format")
)
