// Package pipeline runs the monitor's two modes over the per-service data
// folders (see package layout): train learns one model per service or
// group, run scores each monitored host's flows with a model and writes the
// root-cause reports. Units are processed in parallel; a failing unit does
// not stop the others.
//
// The data path is flows (read, encode, window) → learner (learn, score) →
// rootcause (threshold, blame, rank, report) → plots.
package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Model file identity; a model of another format or version is refused.
const (
	ModelFormat  = "netflow-monitor service model"
	ModelVersion = 1
	// ModelFile is the model's file name inside a unit's train folder.
	ModelFile = "model.json"
)

// ErrModelVersion is wrapped when a model file has another version.
var ErrModelVersion = errors.New("unsupported service model version")

// Model is everything monitoring needs from training: how flows become
// symbols (the encoder, fitted on training flows only), how symbols become
// traces (window and stride), the automaton, and the alarm threshold.
type Model struct {
	Unit      string        // service IP or group name
	Members   []string      // a group's hosts; nil for a service
	Window    int           // trace length in flows
	Stride    int           // flows between trace starts
	Encoder   flows.Encoder // fitted on the training flows
	Threshold rootcause.Threshold
	Training  TrainingInfo
	Automaton *learner.Model
}

// TrainingInfo describes the data a model was learned from.
type TrainingInfo struct {
	Flows  int    `json:"flows"`
	Traces int    `json:"traces"`
	First  string `json:"first"` // RFC 3339 UTC
	Last   string `json:"last"`
}

type thresholdJSON struct {
	Mean  float64 `json:"mean"`
	SD    float64 `json:"sd"`
	K     float64 `json:"k"`
	Value float64 `json:"value"`
	N     int     `json:"n"`
}

type modelJSON struct {
	Format    string             `json:"format"`
	Version   int                `json:"version"`
	Unit      string             `json:"unit"`
	Members   []string           `json:"members,omitempty"`
	Window    int                `json:"window"`
	Stride    int                `json:"stride"`
	Encoder   json.RawMessage    `json:"encoder"`
	Threshold thresholdJSON      `json:"threshold"`
	Training  TrainingInfo       `json:"training"`
	Automaton *learner.ModelJSON `json:"automaton"`
}

// Save writes the model atomically.
func (m *Model) Save(path string) error {
	enc, err := flows.MarshalEncoder(m.Encoder)
	if err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	t := m.Threshold
	mj := modelJSON{
		Format: ModelFormat, Version: ModelVersion, Unit: m.Unit, Members: m.Members,
		Window: m.Window, Stride: m.Stride, Encoder: enc,
		Threshold: thresholdJSON{t.Mean, t.SD, t.K, t.Value, t.N},
		Training:  m.Training, Automaton: m.Automaton.JSON(),
	}
	b, err := json.MarshalIndent(mj, "", " ")
	if err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, append(b, '\n')); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

// checkHead refuses a file of another format or version.
func checkHead(format string, version int) error {
	if format != ModelFormat {
		return fmt.Errorf("format %q: not a %s (was it written by another program or version?)", format, ModelFormat)
	}
	if version != ModelVersion {
		return fmt.Errorf("%w: the file is version %d, this program reads version %d; train again", ErrModelVersion, version, ModelVersion)
	}
	return nil
}

// LoadModel reads and validates a model file; errors name the file.
func LoadModel(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m, err := decodeModel(b)
	if err != nil {
		return nil, learner.JSONError(path, b, err)
	}
	return m, nil
}

func decodeModel(b []byte) (*Model, error) {
	var mj modelJSON
	if err := learner.DecodeJSON(b, &mj); err != nil {
		// Read the heads on their own, so that a file, or an automaton
		// in it, of another format or version is refused as such (see
		// learner.Model.UnmarshalJSON).
		var head struct {
			Format    string `json:"format"`
			Version   int    `json:"version"`
			Automaton struct {
				Version int `json:"version"`
			} `json:"automaton"`
		}
		if herr := jsonv2.Unmarshal(b, &head); herr != nil {
			return nil, herr // a syntax error, with its offset
		}
		if herr := checkHead(head.Format, head.Version); herr != nil {
			return nil, herr
		}
		if v := head.Automaton.Version; v != 0 && v != learner.ModelVersion {
			return nil, fmt.Errorf("automaton: %w: version %d, this program reads version %d; train again", learner.ErrModelVersion, v, learner.ModelVersion)
		}
		return nil, err
	}
	if err := checkHead(mj.Format, mj.Version); err != nil {
		return nil, err
	}
	switch {
	case mj.Automaton == nil:
		return nil, errors.New("automaton: missing")
	case mj.Window < 1 || mj.Stride < 1:
		return nil, fmt.Errorf("window %d, stride %d: must be >= 1", mj.Window, mj.Stride)
	}
	auto, err := mj.Automaton.Model()
	if err != nil {
		return nil, fmt.Errorf("automaton: %w", err)
	}
	enc, err := flows.UnmarshalEncoder(mj.Encoder)
	if err != nil {
		// Its JSON errors count bytes from the encoder's start; from the
		// file's, they give the line (learner.JSONError). The raw value is
		// the file's bytes as they are.
		if base := bytes.Index(b, mj.Encoder); base >= 0 {
			shiftOffsets(err, int64(base))
		}
		return nil, err // errors of flows.UnmarshalEncoder name the encoder
	}
	if enc.AlphabetSize() != auto.Alphabet().Len() {
		return nil, fmt.Errorf("encoder has %d symbols, automaton %d", enc.AlphabetSize(), auto.Alphabet().Len())
	}
	t := mj.Threshold
	th := rootcause.Threshold{Mean: t.Mean, SD: t.SD, K: t.K, Value: t.Value, N: t.N}
	if err := th.Validate(); err != nil {
		return nil, err
	}
	if f := mj.Training.Flows; f > 0 && (mj.Window > f || mj.Stride > f) {
		return nil, fmt.Errorf("window %d, stride %d: longer than the %d training flows", mj.Window, mj.Stride, f)
	}
	return &Model{
		Unit: mj.Unit, Members: mj.Members, Window: mj.Window, Stride: mj.Stride, Encoder: enc,
		Threshold: th, Training: mj.Training, Automaton: auto,
	}, nil
}

// shiftOffsets moves the byte offsets of encoding/json errors in err's chain
// by base: offsets into a value embedded in a file become offsets into the
// file.
func shiftOffsets(err error, base int64) {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		se.Offset += base
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		te.Offset += base
	}
}
