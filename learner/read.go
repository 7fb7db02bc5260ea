package learner

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/netflow-monitor/monitor/input"
)

// Trace file formats.
const (
	// FormatAbbadingo: first line "count alphabet_size", then one trace a
	// line as "label length s1 ... sn".
	FormatAbbadingo = "abbadingo"
	// FormatPAutomaC: the same without the label column: "length s1 ... sn".
	FormatPAutomaC = "pautomac"
)

// ReadOptions tune the readers of trace and predictions files.
type ReadOptions struct {
	// MaxLine is the longest line accepted, in bytes, its line ending
	// aside; 0 means input.DefaultMaxLine. A longer line is an
	// *input.Error naming the file and line (wrapping
	// input.ErrLineTooLong), found after reading no more of it than that.
	MaxLine int
}

// ReadTraces reads a trace file in the given format ("abbadingo" or
// "pautomac"); gzip-compressed files are detected by their magic bytes.
// Only a regular file is read (see input.Open), and reading stops with
// ctx's error once ctx is done.
//
// With alpha nil the alphabet comes from the file: when every symbol is a
// decimal integer the ids are the integers and the alphabet is "0".."k-1"
// for the declared size k; otherwise symbols get ids in order of first
// appearance. With alpha given (scoring with a model), symbols map to its
// ids and symbols it lacks map to Unknown.
func ReadTraces(ctx context.Context, path, format string, alpha *Alphabet, o ReadOptions) (*Dataset, error) {
	f, err := input.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read traces: %w", err)
	}
	defer f.Close()
	return ParseTraces(input.WithContext(ctx, f), path, format, alpha, o)
}

// ParseTraces is ReadTraces on an open reader; name is used in errors.
func ParseTraces(r io.Reader, name, format string, alpha *Alphabet, o ReadOptions) (*Dataset, error) {
	var labelled bool
	switch format {
	case FormatAbbadingo:
		labelled = true
	case FormatPAutomaC:
	default:
		return nil, fmt.Errorf("trace format %s: want %q or %q", input.Quote(format), FormatAbbadingo, FormatPAutomaC)
	}
	rd, err := maybeGunzip(r)
	if err != nil {
		return nil, &input.Error{File: name, Err: err}
	}
	p := traceParser{name: name, labelled: labelled, fixed: alpha, tokens: map[string]int32{}}
	if err := p.parse(input.NewScanner(rd, name, o.MaxLine)); err != nil {
		return nil, err
	}
	return p.dataset(), nil
}

// maybeGunzip returns a reader that transparently decompresses gzip input.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// traceParser holds the state of one parse.
type traceParser struct {
	name     string
	labelled bool
	fixed    *Alphabet // the model's alphabet, or nil

	declared int // alphabet size from the header
	count    int // trace count from the header

	tokens  map[string]int32 // provisional ids in order of first appearance
	order   []string
	allInts bool

	syms   []int32 // provisional ids (or fixed ids)
	spans  []Span
	labels []string
	lab    map[string]string // interned labels
}

func (p *traceParser) fail(line int, field string, format string, args ...any) error {
	return &input.Error{File: p.name, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
}

// parse reads the header and the traces from sc, which reports a line
// that a broken stream cut short as the break (see input.Scanner).
func (p *traceParser) parse(sc *input.Scanner) error {
	p.allInts = true
	p.lab = map[string]string{}
	header := false
	var fields [][]byte
	for sc.Scan() {
		line := sc.Line()
		fields = splitFields(sc.Bytes(), fields[:0])
		if len(fields) == 0 {
			continue
		}
		if !header {
			if err := p.header(line, fields); err != nil {
				return err
			}
			header = true
			continue
		}
		if len(p.spans) == p.count {
			return p.fail(line, "count", "the header declares %d traces, but the file has more", p.count)
		}
		if err := p.trace(line, fields); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if !header {
		return &input.Error{File: p.name, Err: errors.New("empty file: no header line \"count alphabet_size\"")}
	}
	if len(p.spans) != p.count {
		return p.fail(1, "count", "the header declares %d traces, but the file has %d", p.count, len(p.spans))
	}
	return nil
}

func (p *traceParser) header(line int, f [][]byte) error {
	if len(f) != 2 {
		return p.fail(line, "header", "want \"count alphabet_size\", got %d fields", len(f))
	}
	n, err := atoi(f[0])
	if err != nil {
		return p.fail(line, "count", "%s is not a non-negative integer", input.Quote(f[0]))
	}
	k, err := atoi(f[1])
	if err != nil {
		return p.fail(line, "alphabet size", "%s is not a non-negative integer", input.Quote(f[1]))
	}
	if k > MaxAlphabet {
		return p.fail(line, "alphabet size", "%d is more than the limit of %d symbols", k, MaxAlphabet)
	}
	p.count, p.declared = n, k
	p.spans = make([]Span, 0, min(n, 1<<16)) // the header is not trusted with memory
	return nil
}

func (p *traceParser) trace(line int, f [][]byte) error {
	if p.labelled {
		l := string(f[0])
		if s, ok := p.lab[l]; ok {
			l = s
		} else {
			p.lab[l] = l
		}
		p.labels = append(p.labels, l)
		f = f[1:]
		if len(f) == 0 {
			return p.fail(line, "length", "missing")
		}
	}
	n, err := atoi(f[0])
	if err != nil {
		return p.fail(line, "length", "%s is not a non-negative integer", input.Quote(f[0]))
	}
	if n != len(f)-1 {
		return p.fail(line, "length", "says %d symbols, the line has %d", n, len(f)-1)
	}
	start := int32(len(p.syms))
	for i, tok := range f[1:] {
		id, err := p.symbol(tok)
		if err != nil {
			return p.fail(line, "symbol "+strconv.Itoa(i+1), "%v", err)
		}
		p.syms = append(p.syms, id)
	}
	p.spans = append(p.spans, Span{start, int32(len(p.syms))})
	return nil
}

// symbol validates one token against the declared alphabet and returns its
// provisional id (or, with a fixed alphabet, its final id).
func (p *traceParser) symbol(tok []byte) (int32, error) {
	v, intErr := atoi(tok)
	if len(tok) > 1 && tok[0] == '-' {
		if _, err := atoi(tok[1:]); err == nil {
			return 0, fmt.Errorf("%s is a negative symbol number", input.Quote(tok))
		}
	}
	if intErr == nil && v >= p.declared {
		return 0, fmt.Errorf("%s is outside the declared alphabet of %d symbols", input.Quote(tok), p.declared)
	}
	id, seen := p.tokens[string(tok)]
	if !seen {
		if len(p.order) >= p.declared {
			return 0, fmt.Errorf("%s is a new symbol beyond the declared alphabet of %d symbols", input.Quote(tok), p.declared)
		}
		s := string(tok)
		if intErr != nil || strconv.Itoa(v) != s {
			p.allInts = false
		}
		id = int32(len(p.order))
		p.tokens[s] = id
		p.order = append(p.order, s)
	}
	return id, nil
}

// dataset turns provisional ids into final ones.
func (p *traceParser) dataset() *Dataset {
	var alpha *Alphabet
	remap := make([]int32, len(p.order))
	switch {
	case p.fixed != nil:
		alpha = p.fixed
		for i, s := range p.order {
			remap[i] = alpha.ID(s)
		}
	case p.allInts:
		alpha = IntAlphabet(p.declared)
		for i, s := range p.order {
			v, _ := strconv.Atoi(s)
			remap[i] = int32(v)
		}
	default:
		alpha, _ = NewAlphabet(p.order) // tokens are distinct and non-empty
		for i := range remap {
			remap[i] = int32(i)
		}
	}
	for i, id := range p.syms {
		p.syms[i] = remap[id]
	}
	return &Dataset{Alphabet: alpha, Symbols: p.syms, Spans: p.spans, Labels: p.labels}
}

// splitFields splits a line on spaces and tabs, reusing dst.
func splitFields(b []byte, dst [][]byte) [][]byte {
	for {
		b = bytes.TrimLeft(b, " \t\r")
		if len(b) == 0 {
			return dst
		}
		i := bytes.IndexAny(b, " \t\r")
		if i < 0 {
			return append(dst, b)
		}
		dst = append(dst, b[:i])
		b = b[i:]
	}
}

// atoi parses a non-negative decimal integer that fits an int32.
func atoi(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 10 {
		return 0, strconv.ErrSyntax
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		n = n*10 + int(c-'0')
	}
	if n > 1<<31-1 {
		return 0, strconv.ErrRange
	}
	return n, nil
}
