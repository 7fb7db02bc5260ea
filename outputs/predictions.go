package outputs

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/rootcause"
)

// predictions is the predictions file: one row per window in FlexFringe's
// predict columns (see learner.PredictionWriter), written as the windows
// come.
func predictions(name string) Output {
	return Output{Name: "predictions", Owns: file(name), Open: func(u Unit) (Sink, error) {
		path := filepath.Join(u.Dir, name)
		p, err := atomicfile.Create(path)
		if err != nil {
			return nil, err
		}
		s := &predictionSink{path: path, p: p, crc: layout.NewCRC(), names: rootcause.NewNames(u.Model.Encoder)}
		s.pw, err = learner.NewPredictionWriter(io.MultiWriter(p.WriteBehind(), s.crc, &s.size))
		if err != nil {
			p.Cleanup()
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		return s, nil
	}}
}

type predictionSink struct {
	path  string
	p     *atomicfile.Pending
	pw    *learner.PredictionWriter
	names *rootcause.Names
	crc   interface {
		io.Writer
		Sum32() uint32
	}
	size byteCount
}

// byteCount counts the bytes written to it.
type byteCount int64

func (c *byteCount) Write(p []byte) (int, error) {
	*c += byteCount(len(p))
	return len(p), nil
}

func (s *predictionSink) sums() []layout.FileSum {
	return []layout.FileSum{layout.Sum(filepath.Base(s.path), int64(s.size), s.crc.Sum32())}
}

func (s *predictionSink) Window(w *detector.Window) error {
	if err := s.pw.WriteAt("", w.Symbols, s.names.Of(w.Flows), &w.Score); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

func (s *predictionSink) Close(context.Context, End) error {
	if err := s.pw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if err := s.p.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

func (s *predictionSink) Abort() { s.p.Cleanup() }
