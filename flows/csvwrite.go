package flows

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// csvColumns is the header of the project's own flow CSV.
var csvColumns = [...]string{
	"timestamp", "src_ip", "dst_ip", "src_port", "dst_port", "protocol",
	"bytes", "packets", "duration", "flow_id", "label",
}

// csvRequired is how many of csvColumns, from the first, a file must have.
const csvRequired = 9

// CSVColumns returns the header of the project's own flow CSV, in the order
// the writer emits it. The reader finds columns by name, in any order;
// flow_id and label are optional there.
func CSVColumns() []string { return slices.Clone(csvColumns[:]) }

// CSVWriter writes flows in the project's own CSV format: comma-separated,
// a header first, timestamps in RFC 3339 UTC with nanoseconds, protocols by
// name. It streams: nothing is buffered beyond the underlying writer.
type CSVWriter struct {
	w      *csv.Writer
	header bool
	rec    []string
	buf    []byte
}

// NewCSVWriter returns a writer that emits the header before the first flow.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w), rec: make([]string, len(csvColumns))}
}

// Write appends one flow.
func (cw *CSVWriter) Write(f *Flow) error {
	if !cw.header {
		if err := cw.w.Write(CSVColumns()); err != nil {
			return fmt.Errorf("write flow csv header: %w", err)
		}
		cw.header = true
	}
	r := cw.rec
	r[0] = time.Unix(0, f.Start).UTC().Format(time.RFC3339Nano)
	r[1] = f.Src.String()
	r[2] = f.Dst.String()
	r[3] = strconv.FormatUint(uint64(f.SrcPort), 10)
	r[4] = strconv.FormatUint(uint64(f.DstPort), 10)
	r[5] = f.Proto.String()
	r[6] = strconv.FormatUint(f.Bytes, 10)
	r[7] = strconv.FormatUint(f.Packets, 10)
	cw.buf = strconv.AppendFloat(cw.buf[:0], f.Duration, 'f', -1, 64)
	r[8] = string(cw.buf)
	r[9] = f.ID
	r[10] = f.Label
	if err := cw.w.Write(r); err != nil {
		return fmt.Errorf("write flow csv row: %w", err)
	}
	return nil
}

// Flush writes the header if no flow was written, flushes buffered rows and
// reports any write error.
func (cw *CSVWriter) Flush() error {
	if !cw.header {
		if err := cw.w.Write(CSVColumns()); err != nil {
			return fmt.Errorf("write flow csv header: %w", err)
		}
		cw.header = true
	}
	cw.w.Flush()
	if err := cw.w.Error(); err != nil {
		return fmt.Errorf("flush flow csv: %w", err)
	}
	return nil
}
