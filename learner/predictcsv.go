package learner

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// PredictHeader is the header of a predictions CSV: FlexFringe's predict
// columns, separated by "; ".
const PredictHeader = "row nr; abbadingo trace; state sequence; score sequence; sum scores; mean scores; min score"

// PredictionWriter writes one row per scored trace in FlexFringe's predict
// format:
//
//	1; "1 3 a b c"; [0,2,5,5]; [-0.5,-1.2,-0.3,-0.9]; -2.9; -0.725; -1.2
//
// The trace column is the trace in Abbadingo form (label, length, symbols;
// label 0 for unlabelled traces). Numbers are printed in full precision.
type PredictionWriter struct {
	w   *bufio.Writer
	row int
	buf []byte
}

// NewPredictionWriter writes the header and returns the writer.
func NewPredictionWriter(w io.Writer) (*PredictionWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(PredictHeader + "\n"); err != nil {
		return nil, fmt.Errorf("write predictions header: %w", err)
	}
	return &PredictionWriter{w: bw}, nil
}

// Write appends the row of one trace; label may be empty, name renders
// symbols.
func (pw *PredictionWriter) Write(label string, trace []int32, name func(int32) string, p *Prediction) error {
	pw.row++
	b := pw.buf[:0]
	b = strconv.AppendInt(b, int64(pw.row), 10)
	b = append(b, `; "`...)
	if label == "" {
		label = "0"
	}
	b = append(b, label...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(trace)), 10)
	for _, s := range trace {
		b = append(b, ' ')
		b = append(b, name(s)...)
	}
	b = append(b, `"; [`...)
	for i, s := range p.States {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(s), 10)
	}
	b = append(b, "]; ["...)
	for i, s := range p.Scores {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, s, 'g', -1, 64)
	}
	b = append(b, "]; "...)
	b = strconv.AppendFloat(b, p.Sum, 'g', -1, 64)
	b = append(b, "; "...)
	b = strconv.AppendFloat(b, p.Mean, 'g', -1, 64)
	b = append(b, "; "...)
	b = strconv.AppendFloat(b, p.Min, 'g', -1, 64)
	b = append(b, '\n')
	pw.buf = b
	if _, err := pw.w.Write(b); err != nil {
		return fmt.Errorf("write predictions row %d: %w", pw.row, err)
	}
	return nil
}

// Flush writes buffered rows.
func (pw *PredictionWriter) Flush() error {
	if err := pw.w.Flush(); err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	return nil
}

// ReadPredictionSums reads the "sum scores" column of a predictions CSV
// (";" or "," separated, as written by PredictionWriter or FlexFringe).
func ReadPredictionSums(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read predictions: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<28)
	var out []float64
	line, col, ncols, sep := 0, -1, 0, ";"
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		if col < 0 {
			if !strings.Contains(text, ";") {
				sep = ","
			}
			cols := strings.Split(text, sep)
			for i, c := range cols {
				if strings.TrimSpace(c) == "sum scores" {
					col = i
				}
			}
			if col < 0 {
				return nil, &FileError{File: path, Line: line, Field: "sum scores", Err: errors.New("missing column")}
			}
			ncols = len(cols)
			continue
		}
		// The trace column may hold the separator inside quotes: count from
		// the right.
		parts := strings.Split(text, sep)
		i := len(parts) - (ncols - col)
		if i < 0 {
			return nil, &FileError{File: path, Line: line, Field: "sum scores", Err: errors.New("too few fields")}
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		if err != nil || math.IsNaN(v) {
			return nil, &FileError{File: path, Line: line, Field: "sum scores", Err: fmt.Errorf("%q is not a number", parts[i])}
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, &FileError{File: path, Line: line + 1, Err: fmt.Errorf("reading: %w", err)}
	}
	if col < 0 {
		return nil, &FileError{File: path, Err: errors.New("empty file")}
	}
	return out, nil
}
