// Package model is the service model: everything monitoring needs from
// training, for one unit (a service or a group of hosts): how flows become
// symbols (the fitted encoder), how symbols become windows (window and
// stride), the automaton, and the alarm threshold. It owns the model file's
// format, its checks and its loading and saving; it knows nothing of
// folders (see package layout for where a unit's model lives).
package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/learner"
)

// File identity; a model of another format or version is refused.
const (
	Format  = "netflow-monitor service model"
	Version = 2
)

// Model is everything monitoring needs from training: how flows become
// symbols (the encoder, fitted on training flows only), how symbols become
// traces (window and stride), the automaton, and the alarm threshold.
type Model struct {
	Unit    string        // service IP or group name
	Members []string      // a group's hosts; nil for a service
	Window  int           // trace length in flows
	Stride  int           // flows between trace starts
	Encoder flows.Encoder // fitted on the training flows
	// Novelty is what the training saw of protocols, ports, peers, sizes
	// and durations: a flow's score is the automaton's log-probability
	// minus its novelty cost.
	Novelty *Novelty
	// Threshold is the alarm threshold on a window's score (the sum of
	// its flows' scores); FlowThreshold, when set, on its least likely
	// flow's. A window below either is an alarm.
	Threshold     Threshold
	FlowThreshold *Threshold
	Training      TrainingInfo
	Automaton     *learner.Model
}

// TrainingInfo describes the data a model was learned from.
type TrainingInfo struct {
	Flows  int    `json:"flows"`
	Traces int    `json:"traces"`
	First  string `json:"first"` // RFC 3339 UTC
	Last   string `json:"last"`
	// BytesOutP99 is the 99th percentile of the bytes of the flows the
	// unit's hosts sent in training (0 in models of earlier versions), for
	// telling a transfer far beyond what they send.
	BytesOutP99 uint64 `json:"bytes_out_p99,omitempty"`
}

type thresholdJSON struct {
	Mean  float64 `json:"mean"`
	SD    float64 `json:"sd"`
	K     float64 `json:"k"`
	Value float64 `json:"value"`
	N     int     `json:"n"`
}

type modelJSON struct {
	Format    string          `json:"format"`
	Version   int             `json:"version"`
	Unit      string          `json:"unit"`
	Members   []string        `json:"members,omitempty"`
	Window    int             `json:"window"`
	Stride    int             `json:"stride"`
	Encoder   json.RawMessage `json:"encoder"`
	Novelty   *Novelty        `json:"novelty"`
	Threshold thresholdJSON   `json:"threshold"`
	// FlowThreshold is omitted by models of earlier versions.
	FlowThreshold *thresholdJSON     `json:"flow_threshold,omitempty"`
	Training      TrainingInfo       `json:"training"`
	Automaton     *learner.ModelJSON `json:"automaton"`
}

// Save writes the model atomically.
func (m *Model) Save(path string) error {
	enc, err := flows.MarshalEncoder(m.Encoder)
	if err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	t := m.Threshold
	mj := modelJSON{
		Format: Format, Version: Version, Unit: m.Unit, Members: m.Members,
		Window: m.Window, Stride: m.Stride, Encoder: enc, Novelty: m.Novelty,
		Threshold: thresholdJSON{t.Mean, t.SD, t.K, t.Value, t.N},
		Training:  m.Training, Automaton: m.Automaton.JSON(),
	}
	if f := m.FlowThreshold; f != nil {
		mj.FlowThreshold = &thresholdJSON{f.Mean, f.SD, f.K, f.Value, f.N}
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

// Load reads and validates a model file; errors name the file, and the
// line where the problem is.
func Load(path string) (*Model, error) {
	var m *Model
	err := input.ReadJSONFile(path, "load model", func(b []byte) (err error) {
		m, err = decode(b)
		return err
	})
	return m, err
}

// checkHead refuses a file of another format or version.
func checkHead(h input.Head) error { return h.Check(Format, Version, "train again") }

func decode(b []byte) (*Model, error) {
	var mj modelJSON
	if err := input.DecodeJSON(b, &mj); err != nil {
		// Read the heads on their own, so that a file, or an automaton
		// in it, of another format or version is refused as such (see
		// learner.Model.UnmarshalJSON).
		var head struct {
			input.Head
			Automaton input.Head `json:"automaton"`
		}
		if herr := jsonv2.Unmarshal(b, &head); herr != nil {
			return nil, herr // a syntax error, with its offset
		}
		if herr := checkHead(head.Head); herr != nil {
			return nil, herr
		}
		if a := head.Automaton; a.Version != 0 && a.Version != learner.ModelVersion {
			a.Format = learner.ModelFormat // its own format is checked by learner
			return nil, fmt.Errorf("automaton: %w", a.Check(learner.ModelFormat, learner.ModelVersion, "train again"))
		}
		return nil, err
	}
	if err := checkHead(input.Head{Format: mj.Format, Version: mj.Version}); err != nil {
		return nil, err
	}
	switch {
	case mj.Automaton == nil:
		return nil, errors.New("automaton: missing")
	case mj.Novelty == nil:
		return nil, errors.New("novelty: missing")
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
		// file's, they give the line (input.JSONError). The raw value is
		// the file's bytes as they are.
		if base := bytes.Index(b, mj.Encoder); base >= 0 {
			input.ShiftOffsets(err, int64(base))
		}
		return nil, err // errors of flows.UnmarshalEncoder name the encoder
	}
	if enc.AlphabetSize() != auto.Alphabet().Len() {
		return nil, fmt.Errorf("encoder has %d symbols, automaton %d", enc.AlphabetSize(), auto.Alphabet().Len())
	}
	t := mj.Threshold
	th := Threshold{Mean: t.Mean, SD: t.SD, K: t.K, Value: t.Value, N: t.N}
	if err := th.Validate(); err != nil {
		return nil, err
	}
	var fth *Threshold
	if t := mj.FlowThreshold; t != nil {
		fth = &Threshold{Mean: t.Mean, SD: t.SD, K: t.K, Value: t.Value, N: t.N}
		if err := fth.Validate(); err != nil {
			return nil, fmt.Errorf("flow_%w", err)
		}
	}
	if f := mj.Training.Flows; f > 0 && (mj.Window > f || mj.Stride > f) {
		return nil, fmt.Errorf("window %d, stride %d: longer than the %d training flows", mj.Window, mj.Stride, f)
	}
	return &Model{
		Unit: mj.Unit, Members: mj.Members, Window: mj.Window, Stride: mj.Stride, Encoder: enc,
		Novelty: mj.Novelty, Threshold: th, FlowThreshold: fth, Training: mj.Training, Automaton: auto,
	}, nil
}

// Anomalous is the verdict on a window: its score (the sum of its flows'
// scores) is below the threshold, or its least likely flow's below the
// flow threshold.
func (m *Model) Anomalous(sum, min float64) bool {
	return m.Threshold.Anomalous(sum) || (m.FlowThreshold != nil && m.FlowThreshold.Anomalous(min))
}

// CheckOwner refuses a model, read from path, that is not unit's: a
// model.json copied into another unit's folder would judge that unit by
// another's traffic.
func (m *Model) CheckOwner(path, unit string) error {
	if m.Unit != unit {
		return fmt.Errorf("%s is the model of %s, not of %s", path, input.Quote(m.Unit), unit)
	}
	return nil
}
