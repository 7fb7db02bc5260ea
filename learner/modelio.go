package learner

import (
	"encoding/json"
	"errors"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/input"
)

// Model file identity. A file of another format or version is refused.
const (
	ModelFormat  = "netflow-monitor automaton"
	ModelVersion = 1
)

// ModelJSON is a model file's JSON form. MarshalJSON and UnmarshalJSON go
// through it; a format that embeds a model (the monitor's service model)
// holds it as a field, so the model is decoded in that format's own pass,
// and builds the model with ModelJSON.Model.
type ModelJSON struct {
	Format   string   `json:"format"`
	Version  int      `json:"version"`
	Options  Options  `json:"options"`
	Alphabet []string `json:"alphabet"`
	// Core marks a model reduced by Model.Core; SymbolCounts (per alphabet
	// symbol, its occurrences in training) is then required.
	Core         bool        `json:"core,omitempty"`
	SymbolCounts []int64     `json:"symbol_counts,omitempty"`
	States       []stateJSON `json:"states"`
}

type stateJSON struct {
	ID          int              `json:"id"`
	Red         bool             `json:"red"`
	Paths       int32            `json:"paths"`
	Final       int32            `json:"final"`
	Transitions []transitionJSON `json:"transitions"`
}

type transitionJSON struct {
	Symbol string `json:"symbol"`
	To     int32  `json:"to"`
	Count  int32  `json:"count"`
}

// MarshalJSON encodes the model as versioned JSON: options, alphabet, and
// the states with their counts and transitions (by symbol name). The same
// model always gives the same bytes.
func (m *Model) MarshalJSON() ([]byte, error) { return json.Marshal(m.JSON()) }

// JSON returns the model's JSON form.
func (m *Model) JSON() *ModelJSON {
	mj := &ModelJSON{Format: ModelFormat, Version: ModelVersion, Options: m.opts, Alphabet: m.alphabet.Names(), Core: m.core}
	if m.core {
		mj.SymbolCounts = m.symCount
	}
	mj.States = make([]stateJSON, m.NumStates())
	for q := range mj.States {
		s := stateJSON{ID: q, Red: m.red[q], Paths: m.paths[q], Final: m.final[q], Transitions: []transitionJSON{}}
		for e := m.first[q]; e < m.first[q+1]; e++ {
			s.Transitions = append(s.Transitions, transitionJSON{m.alphabet.Name(m.sym[e]), m.to[e], m.count[e]})
		}
		mj.States[q] = s
	}
	return mj
}

// UnmarshalJSON decodes and validates a model written by MarshalJSON.
func (m *Model) UnmarshalJSON(b []byte) error {
	var mj ModelJSON
	if err := input.DecodeJSON(b, &mj); err != nil {
		// Read the head on its own, so that a file of another format or
		// version is refused as such rather than for the fields it does
		// not share with this one.
		var head input.Head
		if herr := jsonv2.Unmarshal(b, &head); herr != nil {
			return herr // a syntax error, with its offset
		}
		if herr := checkHead(head); herr != nil {
			return herr
		}
		return err
	}
	built, err := mj.Model()
	if err != nil {
		return err
	}
	*m = *built
	return nil
}

// checkHead refuses a file of another format or version.
func checkHead(h input.Head) error {
	return h.Check(ModelFormat, ModelVersion, "learn the model again")
}

// Model validates the JSON form and builds the model: format, version,
// options, alphabet, and every state's counts and transitions.
func (mj *ModelJSON) Model() (*Model, error) {
	if err := checkHead(input.Head{Format: mj.Format, Version: mj.Version}); err != nil {
		return nil, err
	}
	return fromJSON(mj)
}

func fromJSON(mj *ModelJSON) (*Model, error) {
	if err := mj.Options.Validate(); err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	alpha, err := NewAlphabet(mj.Alphabet)
	if err != nil {
		return nil, fmt.Errorf("alphabet: %w", err)
	}
	n := len(mj.States)
	if n == 0 {
		return nil, errors.New("states: the model has no states")
	}
	m := &Model{opts: mj.Options, alphabet: alpha, first: make([]int32, 1, n+1), core: mj.Core}
	switch {
	case mj.Core && !mj.Options.CoreScoring:
		return nil, errors.New("core: a core model needs core_scoring in its options")
	case mj.Core && len(mj.SymbolCounts) != alpha.Len():
		return nil, fmt.Errorf("symbol_counts: %d counts for %d symbols", len(mj.SymbolCounts), alpha.Len())
	case !mj.Core && mj.SymbolCounts != nil:
		return nil, errors.New("symbol_counts: only a core model has them")
	}
	for a, c := range mj.SymbolCounts {
		if c < 0 {
			return nil, fmt.Errorf("symbol_counts[%d]: negative count %d", a, c)
		}
	}
	if mj.Core {
		m.symCount = mj.SymbolCounts
	}
	for q, s := range mj.States {
		if s.ID != q {
			return nil, fmt.Errorf("states[%d]: id %d, want %d", q, s.ID, q)
		}
		if s.Paths < 0 || s.Final < 0 {
			return nil, fmt.Errorf("state %d: negative count", q)
		}
		var sum int64
		prev := int32(-1)
		for i, tr := range s.Transitions {
			a := alpha.ID(tr.Symbol)
			switch {
			case a == Unknown:
				return nil, fmt.Errorf("state %d transition %d: symbol %s is not in the alphabet", q, i, input.Quote(tr.Symbol))
			case a <= prev:
				return nil, fmt.Errorf("state %d transition %d: symbol %s out of order or repeated", q, i, input.Quote(tr.Symbol))
			case tr.To < 0 || int(tr.To) >= n:
				return nil, fmt.Errorf("state %d transition %d: target %d is not a state", q, i, tr.To)
			case tr.Count <= 0:
				return nil, fmt.Errorf("state %d transition %d: count %d must be positive", q, i, tr.Count)
			}
			prev = a
			sum += int64(tr.Count)
			m.sym = append(m.sym, a)
			m.to = append(m.to, tr.To)
			m.count = append(m.count, tr.Count)
		}
		if len(s.Transitions) > 0 && !s.Red && mj.Core {
			return nil, fmt.Errorf("state %d: a core model keeps no transitions outside the core", q)
		}
		leaf := mj.Core && !s.Red && len(s.Transitions) == 0
		if sum != int64(s.Paths) && !leaf {
			return nil, fmt.Errorf("state %d: paths %d, but its transitions count %d", q, s.Paths, sum)
		}
		m.first = append(m.first, int32(len(m.sym)))
		m.final = append(m.final, s.Final)
		m.paths = append(m.paths, s.Paths)
		m.red = append(m.red, s.Red)
	}
	m.prepare()
	return m, nil
}

// Save writes the model as JSON to path atomically (a temporary file
// renamed into place), so a reader never sees a half-written model.
func (m *Model) Save(path string) error {
	b, err := m.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := atomicfile.WriteBytes(path, append(b, '\n')); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

// LoadModel reads a model file. Errors name the file and, for malformed
// JSON, the line.
func LoadModel(path string) (*Model, error) {
	m := &Model{}
	if err := input.ReadJSONFile(path, "load model", m.UnmarshalJSON); err != nil {
		return nil, err
	}
	return m, nil
}
