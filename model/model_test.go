package model

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/learner"
)

// savedModel fits and learns a small service model (a service answering
// clients on 443 and calling a database and DNS), saves it and returns the
// path and bytes of its file, for tests that spoil a copy of it.
func savedModel(t *testing.T) (string, []byte) {
	t.Helper()
	s := netip.MustParseAddr("10.0.0.1")
	var fl []flows.Flow
	var dirs []flows.Direction
	for i := range 400 {
		f := flows.Flow{Start: int64(1_700_000_000+i) * 1e9, Proto: flows.ProtoTCP, Duration: 0.01 * float64(1+i%3)}
		switch i % 4 {
		case 0, 1:
			f.Src, f.Dst, f.DstPort, f.Bytes, f.Packets = netip.MustParseAddr("10.9.0."+strconv.Itoa(1+i%5)), s, 443, uint64(900+i%7), 8
		case 2:
			f.Src, f.Dst, f.DstPort, f.Bytes, f.Packets = s, netip.MustParseAddr("10.9.1.1"), 5432, uint64(300+i%5), 4
		case 3:
			f.Proto = flows.ProtoUDP
			f.Src, f.Dst, f.DstPort, f.Bytes, f.Packets = s, netip.MustParseAddr("10.9.2.53"), 53, 120, 2
		}
		d, _ := f.DirectionFrom(s)
		fl, dirs = append(fl, f), append(dirs, d)
	}
	xs := make([]flows.Features, len(fl))
	for i := range fl {
		xs[i] = fl[i].Features(dirs[i])
	}
	enc, err := flows.FitEncoder("encode", [][]flows.Features{xs}, flows.EncoderOptions{PortClass: true})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, enc.AlphabetSize())
	for i := range names {
		names[i] = enc.SymbolName(int32(i))
	}
	alpha, err := learner.NewAlphabet(names)
	if err != nil {
		t.Fatal(err)
	}
	syms := make([]int32, len(fl))
	for i := range fl {
		syms[i] = enc.Encode(&xs[i])
	}
	const window = 10
	data := &learner.Dataset{Alphabet: alpha, Symbols: syms, Spans: learner.AppendWindows(nil, 0, len(syms), window, 1)}
	o := learner.DefaultOptions()
	o.FinalProb, o.CoreScoring = false, true
	auto, err := learner.Learn(context.Background(), data, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auto, err = auto.Core(); err != nil {
		t.Fatal(err)
	}
	sums := make([]float64, data.Len())
	for i := range sums {
		sums[i] = auto.Score(data.Trace(i)).Sum
	}
	thr, err := NewThreshold(sums, 7)
	if err != nil {
		t.Fatal(err)
	}
	nc := NewNoveltyCounter()
	for i := range fl {
		nc.Add(KeyOf(&xs[i]), fl[i].Peer(dirs[i]), xs[i].Bytes, xs[i].Duration)
	}
	m := &Model{Unit: "10.0.0.1", Window: window, Stride: 1, Encoder: enc, Threshold: thr, Automaton: auto, Novelty: nc.Novelty(),
		Training: TrainingInfo{Flows: len(fl), Traces: data.Len(), First: "2023-11-14T22:13:20Z", Last: "2023-11-14T22:19:59Z"}}
	mp := filepath.Join(t.TempDir(), "model.json")
	if err := m.Save(mp); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	return mp, b
}

// TestSaveLoad: a saved model loads back as it was, and saving it again
// gives the same bytes.
func TestSaveLoad(t *testing.T) {
	mp, b := savedModel(t)
	m, err := Load(mp)
	if err != nil {
		t.Fatal(err)
	}
	if m.Unit != "10.0.0.1" || m.Window != 10 || m.Stride != 1 || m.Threshold.K != 7 || m.Encoder.Kind() != "encode" {
		t.Errorf("loaded %+v", m)
	}
	again := filepath.Join(t.TempDir(), "again.json")
	if err := m.Save(again); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(again); !bytes.Equal(b, b2) {
		t.Error("a loaded model saves to other bytes")
	}
	if err := m.CheckOwner(mp, "10.0.0.1"); err != nil {
		t.Error(err)
	}
	if err := m.CheckOwner(mp, "10.0.0.2"); err == nil || !strings.Contains(err.Error(), `is the model of "10.0.0.1", not of 10.0.0.2`) {
		t.Errorf("owner 10.0.0.2: %v", err)
	}
}

// TestEmbeddedAutomatonVersion: a service model whose automaton is of
// another version is refused for that reason.
func TestEmbeddedAutomatonVersion(t *testing.T) {
	mp, b := savedModel(t)
	i := bytes.Index(b, []byte(`"automaton"`))
	b = append(b[:i:i], bytes.Replace(b[i:], []byte(`"version": 1`), []byte(`"version": 7`), 1)...)
	if err := os.WriteFile(mp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(mp)
	if !errors.Is(err, input.ErrVersion) || !strings.Contains(err.Error(), "version 7") || !strings.Contains(err.Error(), mp) {
		t.Errorf("error %v, want the automaton's version named, with the file", err)
	}
}

// TestLoadModelThresholdAndWindow: a model whose threshold is missing,
// inconsistent or impossible, or whose window is longer than its training
// data, is refused saying which value is wrong.
func TestLoadModelThresholdAndWindow(t *testing.T) {
	mp, good := savedModel(t)
	var m struct {
		Threshold map[string]any `json:"threshold"`
	}
	if err := json.Unmarshal(good, &m); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(map[string]any)
		msg  string
	}{
		{"threshold missing", func(v map[string]any) { delete(v, "threshold") }, "threshold n 0"},
		{"value not mean - k*sd", func(v map[string]any) { v["threshold"].(map[string]any)["value"] = 5.0 }, "threshold value 5 is not mean - k*sd"},
		{"k changed alone", func(v map[string]any) { v["threshold"].(map[string]any)["k"] = 3.0 }, "is not mean - k*sd"},
		{"negative sd", func(v map[string]any) { v["threshold"].(map[string]any)["sd"] = -1.0 }, "threshold sd -1: negative"},
		{"window beyond training", func(v map[string]any) { v["window"] = 1e12 }, "longer than the"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v map[string]any
			if err := json.Unmarshal(good, &v); err != nil {
				t.Fatal(err)
			}
			tc.edit(v)
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(mp, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Load(mp)
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), mp) {
				t.Errorf("error %v, want one naming the file and saying %q", err, tc.msg)
			}
		})
	}
	if err := os.WriteFile(mp, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(mp); err != nil {
		t.Errorf("the model as trained: %v", err)
	}
}

// TestLoadModelEncoderErrors: a bad encoder inside a service model is
// refused with the file and, where the JSON decoder places it, the file's
// line (not the line within the encoder).
func TestLoadModelEncoderErrors(t *testing.T) {
	mp, good := savedModel(t)
	lineOf := func(b []byte, s string) int {
		i := bytes.Index(b, []byte(s))
		if i < 0 {
			t.Fatalf("%q not in the model", s)
		}
		return bytes.Count(b[:i], []byte{'\n'}) + 1
	}
	tests := []struct {
		name, old, new string
		line           int // 0: the line of new
		msg            string
	}{
		{"wrong type", `"size_classes": `, `"size_classes": "x", "was": `, 0, "size_classes"},
		{"unknown member", `"kind": "encode",`, `"kind": "encode", "extra": 1,`, 0, `unknown object member name "extra"`},
		{"other kind", `"kind": "encode",`, `"kind": "lstm",`, -1, `encoder kind "lstm"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(good, []byte(tc.old)) {
				t.Fatalf("%q not in the model", tc.old)
			}
			b := bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1)
			if err := os.WriteFile(mp, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(mp)
			var fe *input.Error
			if !errors.As(err, &fe) || fe.File != mp || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want a file error naming %q", err, tc.msg)
			}
			want := tc.line
			if want == 0 {
				want = lineOf(b, tc.new)
			} else if want < 0 {
				want = 0 // no position from the decoder
			}
			if fe.Line != want {
				t.Errorf("line %d, want %d: %v", fe.Line, want, err)
			}
		})
	}
}
