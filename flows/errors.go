package flows

import (
	"errors"
)

// Causes that the readers' *input.Error values wrap, for errors.Is.
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
