package flows

import "io"

// Decoder yields the flows of one file, one at a time, streaming.
type Decoder interface {
	// Next decodes the next flow into f and returns nil, io.EOF after the
	// last one, or a *input.Error naming file, line and field. Without
	// DecodeOptions.SkipBadRows the first bad row ends decoding; with it,
	// bad rows are counted (see Skipped) and decoding goes on.
	Next(f *Flow) error
	// Skipped returns how many bad rows were skipped so far.
	Skipped() int
	// Dropped returns how many rows so far were records of something
	// other than an IP flow (ARP, Argus management records), which
	// formats leave out by design, by kind; nil when none were.
	Dropped() []Dropped
}

// Dropped is a kind of record a format leaves out by design, as it is not
// an IP flow, and how many rows of it a decoder met.
type Dropped struct {
	Kind string // "ARP", "IPX/SPX", "Argus management"
	Rows int
}

// DecodeOptions tune a Decoder.
type DecodeOptions struct {
	// SkipBadRows skips rows that do not parse instead of failing; the
	// count is reported by Decoder.Skipped, never silently dropped.
	SkipBadRows bool
	// MaxLine is the longest line, or record over several lines (a quoted
	// value with line breaks), accepted in bytes, line endings excluded;
	// 0 means input.DefaultMaxLine. A longer one ends decoding with an
	// *input.Error naming file and line that wraps input.ErrLineTooLong,
	// even with SkipBadRows: where the next row starts cannot be found
	// without reading on without bound (a file of zeros has no line end).
	MaxLine int
}

// Format is one flow-file format: it recognises its own header and makes
// decoders for it. Each format is one file behind this interface, listed in
// the explicit table returned by Formats.
type Format interface {
	// Name is the format's --format name ("argus", "zeek", ...).
	Name() string
	// Detect reports whether the first line of a file is this format's
	// header (or, for headerless formats, a first record of it).
	Detect(firstLine string) bool
	// NewDecoder returns a Decoder over r; file names the input in errors.
	// Lines longer than opts.MaxLine are errors.
	NewDecoder(r io.Reader, file string, opts DecodeOptions) (Decoder, error)
}
