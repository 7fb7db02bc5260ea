package learner

import (
	"bufio"
	"bytes"
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
	// longest is the longest row so far; buf holds rows that do not fit
	// in w's buffer.
	longest int
	buf     []byte
	// texts caches the text of per-symbol scores by their bits: they take
	// few distinct values (one per transition and unseen case; 16.7k for
	// the model of a 380k-flow service), and formatting floats was most of
	// the writing time. A value is the text's end in textBuf and its
	// length.
	texts   map[uint64]textRef
	textBuf []byte
	// recent is a direct-mapped cache in front of texts.
	recent []recentScore
}

type recentScore struct {
	bits uint64
	textRef
}

// recentBits sizes the recent-score cache (2^recentBits entries).
const recentBits = 12

// textRef locates a cached text in textBuf.
type textRef struct {
	end uint32
	n   uint8
}

// rowRoom is the least free buffer a row is built in: rows of windows of
// ten flows take about 500 bytes.
const rowRoom = 4096

// maxCachedScores bounds the score text cache (about 30 bytes each).
const maxCachedScores = 1 << 17

// NewPredictionWriter writes the header and returns the writer.
func NewPredictionWriter(w io.Writer) (*PredictionWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(PredictHeader + "\n"); err != nil {
		return nil, fmt.Errorf("write predictions header: %w", err)
	}
	return &PredictionWriter{w: bw, texts: make(map[uint64]textRef), recent: make([]recentScore, 1<<recentBits)}, nil
}

// Write appends the row of one trace; label may be empty, name renders
// symbols.
func (pw *PredictionWriter) Write(label string, trace []int32, name func(int32) string, p *Prediction) error {
	pw.row++
	// The row is built in the writer's free buffer, so that Write does not
	// copy it again. Rows longer than the whole buffer go through pw.buf.
	room := max(rowRoom, pw.longest)
	if pw.w.Available() < room {
		if err := pw.w.Flush(); err != nil {
			return fmt.Errorf("write predictions row %d: %w", pw.row, err)
		}
	}
	b, own := pw.w.AvailableBuffer(), false
	if cap(b) < room {
		b, own = pw.buf[:0], true
	}
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
		b = pw.appendScore(b, s)
	}
	b = append(b, "]; "...)
	b = strconv.AppendFloat(b, p.Sum, 'g', -1, 64)
	b = append(b, "; "...)
	b = strconv.AppendFloat(b, p.Mean, 'g', -1, 64)
	b = append(b, "; "...)
	b = pw.appendScore(b, p.Min) // one of the scores: cached
	b = append(b, '\n')
	pw.longest = max(pw.longest, len(b))
	if own {
		pw.buf = b
	}
	if _, err := pw.w.Write(b); err != nil {
		return fmt.Errorf("write predictions row %d: %w", pw.row, err)
	}
	return nil
}

func (pw *PredictionWriter) appendScore(b []byte, s float64) []byte {
	bits := math.Float64bits(s)
	c := &pw.recent[(bits*0x9e3779b97f4a7c15)>>(64-recentBits)]
	if c.n != 0 && c.bits == bits {
		return append(b, pw.textBuf[c.end-uint32(c.n):c.end]...)
	}
	if r, ok := pw.texts[bits]; ok {
		c.bits, c.textRef = bits, r
		return append(b, pw.textBuf[r.end-uint32(r.n):r.end]...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, s, 'g', -1, 64)
	if len(pw.texts) < maxCachedScores {
		pw.textBuf = append(pw.textBuf, b[n:]...)
		r := textRef{end: uint32(len(pw.textBuf)), n: uint8(len(b) - n)}
		pw.texts[bits] = r
		c.bits, c.textRef = bits, r
	}
	return b
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

// PredictionRow is one row of a predictions CSV.
type PredictionRow struct {
	Row    int
	States []int32
	Scores []float64
	Sum    float64
}

// ReadPredictions reads every row of a predictions CSV written by
// PredictionWriter: row number, state and score sequences, and sum. Errors
// name the file, line and column.
//
// Rows are parsed from the scanner's bytes, and their states and scores
// share large backing arrays: reading the predictions of a busy host made
// a string, a split and two slices per row, several times the file's size
// in garbage.
func ReadPredictions(path string) ([]PredictionRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read predictions: %w", err)
	}
	defer f.Close()
	return readPredictions(f, path)
}

// readPredictions is ReadPredictions on a reader; path names it in errors.
func readPredictions(in io.Reader, path string) ([]PredictionRow, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<28)
	var (
		rows   []PredictionRow
		states chunks[int32]
		scores chunks[float64]
		sep    = []byte("; ") // between columns
		cuts   [5]int         // the last five separators of a row
	)
	line := 0
	fail := func(field string, err error) error { return &FileError{File: path, Line: line, Field: field, Err: err} }
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if line == 1 {
			if string(bytes.TrimSpace(text)) != PredictHeader {
				return nil, fail("header", fmt.Errorf("not a predictions file: want %q", PredictHeader))
			}
			continue
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		// From the right: min; mean; sum; [scores]; [states]; the quoted
		// trace and the row number on the left.
		found, end := 0, len(text)
		for found < len(cuts) {
			if end = bytes.LastIndex(text[:end], sep); end < 0 {
				break
			}
			cuts[found] = end
			found++
		}
		first := bytes.Index(text, sep)
		if found < len(cuts) || first == cuts[len(cuts)-1] {
			return nil, fail("", fmt.Errorf("%d fields, want 7", bytes.Count(text, sep)+1))
		}
		// field(i) is the i-th column from the right, the last being 0.
		field := func(i int) []byte { return text[cuts[i]+len(sep) : cuts[i-1]] }
		var r PredictionRow
		var err error
		if r.Row, err = strconv.Atoi(string(bytes.TrimSpace(text[:first]))); err != nil {
			return nil, fail("row nr", fmt.Errorf("%q is not a number", text[:first]))
		}
		if r.Sum, err = strconv.ParseFloat(string(field(2)), 64); err != nil {
			return nil, fail("sum scores", fmt.Errorf("%q is not a number", field(2)))
		}
		if r.Scores, err = parseList(field(3), &scores, func(s []byte) (float64, error) { return strconv.ParseFloat(string(s), 64) }); err != nil {
			return nil, fail("score sequence", err)
		}
		if r.States, err = parseList(field(4), &states, func(s []byte) (int32, error) {
			v, err := strconv.ParseInt(string(s), 10, 32)
			return int32(v), err
		}); err != nil {
			return nil, fail("state sequence", err)
		}
		if len(r.States) != len(r.Scores) {
			return nil, fail("state sequence", fmt.Errorf("%d states for %d scores", len(r.States), len(r.Scores)))
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, &FileError{File: path, Line: line + 1, Err: fmt.Errorf("reading: %w", err)}
	}
	if line == 0 {
		return nil, &FileError{File: path, Err: errors.New("empty file")}
	}
	return rows, nil
}

// chunks hands out slices of large backing arrays, so that many small
// lists are not an allocation each.
type chunks[T any] struct{ free []T }

// take returns a slice of n elements (capacity n).
func (c *chunks[T]) take(n int) []T {
	if len(c.free) < n {
		c.free = make([]T, max(n, 1<<16))
	}
	s := c.free[:n:n]
	c.free = c.free[n:]
	return s
}

// parseList parses "[a,b,c]" into a slice taken from c.
func parseList[T any](s []byte, c *chunks[T], parse func([]byte) (T, error)) ([]T, error) {
	s = bytes.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, fmt.Errorf("%q is not a [list]", s)
	}
	s = s[1 : len(s)-1]
	if len(s) == 0 {
		return nil, nil
	}
	out := c.take(bytes.Count(s, []byte{','}) + 1)
	for i := range out {
		it := s
		if j := bytes.IndexByte(s, ','); j >= 0 {
			it, s = s[:j], s[j+1:]
		}
		v, err := parse(it)
		if err != nil {
			return nil, fmt.Errorf("item %d: %q is not a number", i+1, it)
		}
		out[i] = v
	}
	return out, nil
}
