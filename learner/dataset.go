package learner

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/netflow-monitor/monitor/input"
)

// Unknown is the symbol id of a symbol that is not in a model's alphabet.
// Scoring gives it the probability of the shared "unknown" outcome.
const Unknown int32 = -1

// MaxAlphabet is the largest alphabet accepted from a file header or a
// model file.
const MaxAlphabet = 1 << 20

// Alphabet maps symbol names to dense ids 0..Len()-1 and back. An integer
// alphabet ("0".."k-1") stores nothing per symbol.
type Alphabet struct {
	n     int
	names []string         // nil for an integer alphabet
	ids   map[string]int32 // nil for an integer alphabet
}

// NewAlphabet returns an alphabet of the given names, ids in order. Names
// must be distinct and non-empty.
func NewAlphabet(names []string) (*Alphabet, error) {
	if len(names) > MaxAlphabet {
		return nil, fmt.Errorf("%d symbols: more than the limit of %d", len(names), MaxAlphabet)
	}
	a := &Alphabet{names: make([]string, 0, len(names)), ids: make(map[string]int32, len(names))}
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("empty symbol name")
		}
		if _, dup := a.ids[n]; dup {
			return nil, fmt.Errorf("symbol %s listed twice", input.Quote(n))
		}
		a.ids[n] = int32(len(a.names))
		a.names = append(a.names, n)
	}
	a.n = len(a.names)
	return a, nil
}

// IntAlphabet returns the alphabet "0", "1", ..., strconv.Itoa(k-1).
func IntAlphabet(k int) *Alphabet { return &Alphabet{n: k} }

// Len returns the number of symbols.
func (a *Alphabet) Len() int { return a.n }

// Name returns the name of symbol id, or "?" for Unknown and ids out of range.
func (a *Alphabet) Name(id int32) string {
	if id < 0 || int(id) >= a.n {
		return "?"
	}
	if a.names == nil {
		return strconv.Itoa(int(id))
	}
	return a.names[id]
}

// ID returns the id of a symbol name, or Unknown.
func (a *Alphabet) ID(name string) int32 {
	if a.names == nil {
		v, err := atoi([]byte(name))
		if err != nil || v >= a.n || strconv.Itoa(v) != name {
			return Unknown
		}
		return int32(v)
	}
	if id, ok := a.ids[name]; ok {
		return id
	}
	return Unknown
}

// Names returns the symbol names in id order.
func (a *Alphabet) Names() []string {
	if a.names == nil {
		out := make([]string, a.n)
		for i := range out {
			out[i] = strconv.Itoa(i)
		}
		return out
	}
	return append([]string(nil), a.names...)
}

// Span is one trace inside Dataset.Symbols: Symbols[Start:End].
type Span struct{ Start, End int32 }

// Dataset is a set of traces over an alphabet, stored flat: every trace is
// a Span of one shared symbol slice, so that overlapping sliding windows over
// one sequence share storage and no trace is a separate allocation.
type Dataset struct {
	Alphabet *Alphabet
	Symbols  []int32
	Spans    []Span
	// Labels holds the Abbadingo label of each trace ("1", "0", ...), or is
	// nil for formats without labels.
	Labels []string
}

// Len returns the number of traces.
func (d *Dataset) Len() int { return len(d.Spans) }

// Trace returns trace i (a view, not a copy).
func (d *Dataset) Trace(i int) []int32 {
	s := d.Spans[i]
	return d.Symbols[s.Start:s.End]
}

// Add appends a trace, copying its symbols.
func (d *Dataset) Add(trace []int32) {
	start := int32(len(d.Symbols))
	d.Symbols = append(d.Symbols, trace...)
	d.Spans = append(d.Spans, Span{start, int32(len(d.Symbols))})
}

// Windows returns a Dataset of the sliding windows of seq: traces of size
// symbols starting every stride symbols, sharing seq's storage. A sequence
// shorter than size gives one trace of all of it (none when empty).
func Windows(alpha *Alphabet, seq []int32, size, stride int) *Dataset {
	return &Dataset{Alphabet: alpha, Symbols: seq, Spans: AppendWindows(nil, 0, len(seq), size, stride)}
}

// AppendWindows appends to dst the spans of the sliding windows over the n
// symbols starting at off (see Windows), so that windows over several
// sequences stored one after another never span two of them.
func AppendWindows(dst []Span, off, n, size, stride int) []Span {
	switch {
	case n == 0 || size <= 0 || stride <= 0:
	case n < size:
		dst = append(dst, Span{int32(off), int32(off + n)})
	default:
		dst = slices.Grow(dst, (n-size)/stride+1)
		for s := 0; s+size <= n; s += stride {
			dst = append(dst, Span{int32(off + s), int32(off + s + size)})
		}
	}
	return dst
}

// validate checks that every symbol is a valid id of the alphabet.
func (d *Dataset) validate() error {
	if d.Alphabet == nil {
		return fmt.Errorf("dataset has no alphabet")
	}
	k := int32(d.Alphabet.Len())
	for i, s := range d.Spans {
		if s.Start < 0 || s.End < s.Start || int(s.End) > len(d.Symbols) {
			return fmt.Errorf("trace %d: span [%d,%d) outside the %d symbols", i, s.Start, s.End, len(d.Symbols))
		}
		for _, x := range d.Symbols[s.Start:s.End] {
			if x < 0 || x >= k {
				return fmt.Errorf("trace %d: symbol id %d outside the alphabet of %d", i, x, k)
			}
		}
	}
	return nil
}
