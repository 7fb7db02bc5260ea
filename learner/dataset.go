package learner

import (
	"fmt"
	"strconv"
)

// Unknown is the symbol id of a symbol that is not in a model's alphabet.
// Scoring gives it the probability of the shared "unknown" outcome.
const Unknown int32 = -1

// Alphabet maps symbol names to dense ids 0..Len()-1 and back.
type Alphabet struct {
	names []string
	ids   map[string]int32
}

// NewAlphabet returns an alphabet of the given names, ids in order. Names
// must be distinct and non-empty.
func NewAlphabet(names []string) (*Alphabet, error) {
	a := &Alphabet{names: make([]string, 0, len(names)), ids: make(map[string]int32, len(names))}
	for _, n := range names {
		if _, err := a.add(n); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// IntAlphabet returns the alphabet "0", "1", ..., strconv.Itoa(k-1).
func IntAlphabet(k int) *Alphabet {
	a := &Alphabet{names: make([]string, k), ids: make(map[string]int32, k)}
	for i := range k {
		s := strconv.Itoa(i)
		a.names[i] = s
		a.ids[s] = int32(i)
	}
	return a
}

func (a *Alphabet) add(name string) (int32, error) {
	if name == "" {
		return 0, fmt.Errorf("empty symbol name")
	}
	if _, dup := a.ids[name]; dup {
		return 0, fmt.Errorf("symbol %q listed twice", name)
	}
	id := int32(len(a.names))
	a.names = append(a.names, name)
	a.ids[name] = id
	return id, nil
}

// Len returns the number of symbols.
func (a *Alphabet) Len() int { return len(a.names) }

// Name returns the name of symbol id, or "?" for Unknown and ids out of range.
func (a *Alphabet) Name(id int32) string {
	if id < 0 || int(id) >= len(a.names) {
		return "?"
	}
	return a.names[id]
}

// ID returns the id of a symbol name, or Unknown.
func (a *Alphabet) ID(name string) int32 {
	if id, ok := a.ids[name]; ok {
		return id
	}
	return Unknown
}

// Names returns a copy of the symbol names in id order.
func (a *Alphabet) Names() []string { return append([]string(nil), a.names...) }

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
	d := &Dataset{Alphabet: alpha, Symbols: seq}
	n := len(seq)
	switch {
	case n == 0 || size <= 0 || stride <= 0:
	case n < size:
		d.Spans = []Span{{0, int32(n)}}
	default:
		d.Spans = make([]Span, 0, (n-size)/stride+1)
		for s := 0; s+size <= n; s += stride {
			d.Spans = append(d.Spans, Span{int32(s), int32(s + size)})
		}
	}
	return d
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
