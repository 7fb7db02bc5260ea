package outputs

import (
	"context"
	"path/filepath"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/layout"
)

// modelFile is the model file of a unit trained: it is written at the end,
// when the threshold is known.
func modelFile() Output {
	return Output{Name: "model", Owns: file(layout.ModelFile), Open: func(u Unit) (Sink, error) {
		return modelSink{path: filepath.Join(u.Dir, layout.ModelFile)}, nil
	}}
}

type modelSink struct{ path string }

func (modelSink) Window(*detector.Window) error            { return nil }
func (s modelSink) Close(_ context.Context, end End) error { return end.Model.Save(s.path) }
func (modelSink) Abort()                                   {}
