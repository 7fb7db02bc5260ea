package rootcause

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gocarina/gocsv"
	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
)

// The rows of the per-state reports (root_cause_<state>_prediction_info.csv)
// are written as their windows come, to a store (a file beside the
// outputs in run, a spool file in watch), each as a record: its state
// (int32), its length (uint32), both little-endian, then the row as the
// file holds it. The top states are known only at the end, when
// WriteReports copies their rows into their files.
const rowHeader = 8

// appendRow appends the record of an anomalous window's row to buf, its
// symbols named by names (enc's).
func appendRow(buf []byte, w *detector.Window, enc flows.Encoder, names *Names) ([]byte, error) {
	c := w.Cause
	p := &w.Score
	row := predictionInfo{Row: w.Index + 1, Trace: abbadingo(w.Symbols, w.Flows, names), States: list(p.States), Scores: floats(p.Scores),
		Sum: p.Sum, Mean: p.Mean, Min: p.Min, Index: c.Index, State: c.State,
		Time: isoTime(c.Start), Direction: c.Conn.Direction.String(), IP: c.Conn.Peer.String(), Port: c.Conn.Port,
		FirstFlow: w.First, CauseFlow: c.Flow}
	if c.Index < len(w.Flows) {
		row.CauseText = enc.Words(&w.Flows[c.Index])
		words := make([]string, len(w.Flows))
		for i := range w.Flows {
			words[i] = enc.Words(&w.Flows[i])
		}
		row.FlowsText = strings.Join(words, " | ")
	}
	b := bytes.NewBuffer(append(buf, make([]byte, rowHeader)...))
	if err := marshalRows(b, &[]predictionInfo{row}, false); err != nil {
		return buf, fmt.Errorf("report row %d: %w", row.Row, err)
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[len(buf):], uint32(c.State))
	binary.LittleEndian.PutUint32(out[len(buf)+4:], uint32(len(out)-len(buf)-rowHeader))
	return out, nil
}

// marshalRows writes rows as the reports are written (see WriteCSV), with
// or without the header.
func marshalRows(w io.Writer, rows any, header bool) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	var err error
	if header {
		err = gocsv.MarshalCSV(rows, gocsv.NewSafeCSVWriter(cw))
	} else {
		err = gocsv.MarshalCSVWithoutHeaders(rows, gocsv.NewSafeCSVWriter(cw))
	}
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// eachRow calls fn with the state and row of every record of the store
// rows, up to size bytes, stopping at fn's first error or when ctx is
// done.
func eachRow(ctx context.Context, rows io.ReaderAt, size int64, fn func(state int32, row []byte) error) error {
	br := bufio.NewReaderSize(io.NewSectionReader(rows, 0, size), 1<<16)
	var head [rowHeader]byte
	var row []byte
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if _, err := io.ReadFull(br, head[:]); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("report rows: %w", err)
		}
		l := binary.LittleEndian.Uint32(head[4:])
		if int64(l) > size {
			return fmt.Errorf("report rows: a record of %d bytes in %d", l, size)
		}
		row = append(row[:0], make([]byte, l)...)
		if _, err := io.ReadFull(br, row); err != nil {
			return fmt.Errorf("report rows: %w", err)
		}
		if err := fn(int32(binary.LittleEndian.Uint32(head[:])), row); err != nil {
			return err
		}
	}
}

// writeStateRows writes the root_cause_<state>_prediction_info.csv of
// each state of r into dir, from the rows of r's store, in one pass over
// it.
func writeStateRows(ctx context.Context, dir string, r *Report) (err error) {
	var header bytes.Buffer
	if err := marshalRows(&header, &[]predictionInfo{}, true); err != nil {
		return err
	}
	files := map[int32]*bufio.Writer{}
	var pending []*atomicfile.Pending
	defer func() {
		for _, p := range pending {
			p.Cleanup()
		}
	}()
	for _, s := range r.States {
		p, err := atomicfile.Create(filepath.Join(dir, predictionInfoFile(s.State)))
		if err != nil {
			return err
		}
		pending = append(pending, p)
		w := bufio.NewWriterSize(p, 1<<16)
		w.Write(header.Bytes())
		files[s.State] = w
	}
	if r.Rows != nil {
		err = eachRow(ctx, r.Rows, r.RowsSize, func(state int32, row []byte) error {
			if w := files[state]; w != nil {
				_, err := w.Write(row)
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i, s := range r.States {
		if err := files[s.State].Flush(); err != nil {
			return fmt.Errorf("write %s: %w", predictionInfoFile(s.State), err)
		}
		if err := pending[i].CloseAtomicallyReplace(); err != nil {
			return fmt.Errorf("write %s: %w", predictionInfoFile(s.State), err)
		}
	}
	return nil
}

func predictionInfoFile(state int32) string {
	return fmt.Sprintf("root_cause_%d_prediction_info.csv", state)
}
func connectionInfoFile(state int32) string {
	return fmt.Sprintf("root_cause_%d_connection_info.csv", state)
}
