package learner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/netflow-monitor/monitor/input"
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
	// Formatting floats is most of the writing time, and per-symbol
	// scores take few distinct values (one per transition, end and unseen
	// case, tens of thousands even for large models): their texts are
	// kept in texts, found by the score's source in the model that scored
	// it (bySource, index+1, 0 when not yet known) or else by the value's
	// bits (recent, a direct-mapped cache, in front of byBits).
	texts    []scoreText
	model    *Model
	bySource []int32
	byBits   map[uint64]int32
	recent   []recentScore
}

// scoreText is the text of a score, padded so that it is copied as one
// fixed-size block: shortest float64 texts have at most 24 bytes
// ("-2.2250738585072014e-308").
type scoreText struct {
	b [31]byte
	n uint8
}

type recentScore struct {
	bits uint64
	text int32 // index+1 in texts, 0 for an empty entry
}

// recentBits sizes the recent-score cache (2^recentBits entries).
const recentBits = 12

// rowRoom is the least free buffer a row is built in: rows of windows of
// ten flows take about 500 bytes.
const rowRoom = 4096

// maxCachedScores bounds the score text cache (32 bytes each).
const maxCachedScores = 1 << 17

// maxSources bounds the sources (transitions and states) of a model whose
// score texts are found by source (4 bytes each).
const maxSources = 1 << 24

// NewPredictionWriter writes the header and returns the writer.
func NewPredictionWriter(w io.Writer) (*PredictionWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(PredictHeader + "\n"); err != nil {
		return nil, fmt.Errorf("write predictions header: %w", err)
	}
	return &PredictionWriter{w: bw, byBits: make(map[uint64]int32), recent: make([]recentScore, 1<<recentBits)}, nil
}

// Write appends the row of one trace; label may be empty, name renders
// symbols.
func (pw *PredictionWriter) Write(label string, trace []int32, name func(int32) string, p *Prediction) error {
	return pw.WriteAt(label, trace, func(_ int, s int32) string { return name(s) }, p)
}

// WriteAt is Write with symbols rendered by their position in the trace
// too: a symbol outside the alphabet can then be named by what it stood
// for.
func (pw *PredictionWriter) WriteAt(label string, trace []int32, name func(i int, s int32) string, p *Prediction) error {
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
	for i, s := range trace {
		b = append(b, ' ')
		b = append(b, name(i, s)...)
	}
	// Room for the numbers, so that score texts go in as whole blocks.
	b = slices.Grow(b, len(p.States)*12+(len(p.Scores)+1)*(len(scoreText{}.b)+1)+2*26+16)
	b = append(b, `"; [`...)
	for i, s := range p.States {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendState(b, s)
	}
	b = append(b, "]; ["...)
	sources := pw.sourcesOf(p)
	minBits, minText := math.Float64bits(p.Min), int32(0)
	for i, s := range p.Scores {
		if i > 0 {
			b = append(b, ',')
		}
		var t int32
		if sources != nil {
			t = pw.bySourceText(sources[i], s)
		} else {
			t = pw.byBitsText(s)
		}
		if minText == 0 && math.Float64bits(s) == minBits {
			minText = t
		}
		b = pw.appendText(b, t, s)
	}
	b = append(b, "]; "...)
	b = strconv.AppendFloat(b, p.Sum, 'g', -1, 64)
	b = append(b, "; "...)
	b = strconv.AppendFloat(b, p.Mean, 'g', -1, 64)
	b = append(b, "; "...)
	if minText == 0 {
		minText = pw.byBitsText(p.Min)
	}
	b = pw.appendText(b, minText, p.Min)
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

// appendState appends a state number: ones below 100,000 without
// strconv's call.
func appendState(b []byte, s int32) []byte {
	switch {
	case s < 0 || s >= 100_000:
		return strconv.AppendInt(b, int64(s), 10)
	case s < 10:
		return append(b, byte('0'+s))
	case s < 100:
		return append(b, byte('0'+s/10), byte('0'+s%10))
	case s < 1000:
		return append(b, byte('0'+s/100), byte('0'+s/10%10), byte('0'+s%10))
	case s < 10_000:
		return append(b, byte('0'+s/1000), byte('0'+s/100%10), byte('0'+s/10%10), byte('0'+s%10))
	}
	return append(b, byte('0'+s/10_000), byte('0'+s/1000%10), byte('0'+s/100%10), byte('0'+s/10%10), byte('0'+s%10))
}

// sourcesOf returns p's score sources when its model's texts can be
// cached by source, resetting that cache when the model changes.
func (pw *PredictionWriter) sourcesOf(p *Prediction) []int32 {
	m := p.model
	if m == nil || len(p.sources) != len(p.Scores) {
		return nil
	}
	if m != pw.model {
		n := len(m.logP) + len(m.logEnd)
		if n > maxSources {
			return nil
		}
		pw.model = m
		pw.bySource = make([]int32, n)
	}
	return p.sources
}

// bySourceText returns the text index+1 of score s, which has the given
// source in pw.model, or 0 when the text is not cached.
func (pw *PredictionWriter) bySourceText(src int32, s float64) int32 {
	if src < 0 || int(src) >= len(pw.bySource) {
		return pw.byBitsText(s)
	}
	t := pw.bySource[src]
	if t == 0 {
		t = pw.byBitsText(s)
		pw.bySource[src] = t
	}
	return t
}

// byBitsText returns the text index+1 of score s, formatting and caching
// it when it is new; 0 when the cache is full and s is not in it.
func (pw *PredictionWriter) byBitsText(s float64) int32 {
	bits := math.Float64bits(s)
	c := &pw.recent[(bits*0x9e3779b97f4a7c15)>>(64-recentBits)]
	if c.text != 0 && c.bits == bits {
		return c.text
	}
	t, ok := pw.byBits[bits]
	if !ok {
		if len(pw.texts) >= maxCachedScores {
			return 0
		}
		var st scoreText
		st.n = uint8(len(strconv.AppendFloat(st.b[:0], s, 'g', -1, 64)))
		pw.texts = append(pw.texts, st)
		t = int32(len(pw.texts))
		pw.byBits[bits] = t
	}
	c.bits, c.text = bits, t
	return t
}

// appendText appends text t (index+1 in texts) of score s, or formats s
// when t is 0.
func (pw *PredictionWriter) appendText(b []byte, t int32, s float64) []byte {
	if t == 0 {
		return strconv.AppendFloat(b, s, 'g', -1, 64)
	}
	st := &pw.texts[t-1]
	if l := len(b); cap(b)-l >= len(st.b) {
		*(*[len(scoreText{}.b)]byte)(b[l : l+len(st.b)]) = st.b
		return b[:l+int(st.n)]
	}
	return append(b, st.b[:st.n]...)
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
// Only a regular file is read (see input.Open), with lines of at most
// o.MaxLine bytes, and reading stops with ctx's error once ctx is done.
func ReadPredictionSums(ctx context.Context, path string, o ReadOptions) ([]float64, error) {
	f, err := input.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read predictions: %w", err)
	}
	defer f.Close()
	sc := input.NewScanner(input.WithContext(ctx, f), path, o.MaxLine)
	var out []float64
	col, ncols, sep := -1, 0, ";"
	for sc.Scan() {
		line := sc.Line()
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
				return nil, &input.Error{File: path, Line: line, Field: "sum scores", Err: errors.New("missing column")}
			}
			ncols = len(cols)
			continue
		}
		// The trace column may hold the separator inside quotes: count from
		// the right.
		parts := strings.Split(text, sep)
		i := len(parts) - (ncols - col)
		if i < 0 {
			return nil, &input.Error{File: path, Line: line, Field: "sum scores", Err: errors.New("too few fields")}
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		if err != nil || math.IsNaN(v) {
			return nil, &input.Error{File: path, Line: line, Field: "sum scores", Err: fmt.Errorf("%s is not a number", input.Quote(parts[i]))}
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if col < 0 {
		return nil, &input.Error{File: path, Err: errors.New("empty file")}
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
// Only a regular file is read (see input.Open), with lines of at most
// o.MaxLine bytes, and reading stops with ctx's error once ctx is done.
//
// Rows are parsed from the scanner's bytes, and their states and scores
// share large backing arrays: reading the predictions of a busy host made
// a string, a split and two slices per row, several times the file's size
// in garbage.
func ReadPredictions(ctx context.Context, path string, o ReadOptions) ([]PredictionRow, error) {
	f, err := input.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read predictions: %w", err)
	}
	defer f.Close()
	return readPredictions(input.WithContext(ctx, f), path, o.MaxLine)
}

// readPredictions is ReadPredictions on a reader; path names it in
// errors.
func readPredictions(in io.Reader, path string, maxLine int) ([]PredictionRow, error) {
	sc := input.NewScanner(in, path, maxLine)
	var (
		rows   []PredictionRow
		states chunks[int32]
		scores chunks[float64]
		sep    = []byte("; ") // between columns
		cuts   [5]int         // the last five separators of a row
	)
	fail := func(field string, err error) error {
		return &input.Error{File: path, Line: sc.Line(), Field: field, Err: err}
	}
	for sc.Scan() {
		text := sc.Bytes()
		if sc.Line() == 1 {
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
			return nil, fail("row nr", fmt.Errorf("%s is not a number", input.Quote(text[:first])))
		}
		if r.Sum, err = strconv.ParseFloat(string(field(2)), 64); err != nil {
			return nil, fail("sum scores", fmt.Errorf("%s is not a number", input.Quote(field(2))))
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
		return nil, err
	}
	if sc.Line() == 0 {
		return nil, &input.Error{File: path, Err: errors.New("empty file")}
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
		return nil, fmt.Errorf("%s is not a [list]", input.Quote(s))
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
			return nil, fmt.Errorf("item %d: %s is not a number", i+1, input.Quote(it))
		}
		out[i] = v
	}
	return out, nil
}
