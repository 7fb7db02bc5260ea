package outputs

import (
	"fmt"
	"path/filepath"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/plots"
)

// plot is the score plot of a unit's windows against its threshold (see
// plots.TraceScores), drawn at the end; title names it.
func plot(name string, title func(u Unit, end End) string) Output {
	return Output{Name: "plot", Owns: file(name), Open: func(u Unit) (Sink, error) {
		return &plotSink{u: u, path: filepath.Join(u.Dir, name), title: title}, nil
	}}
}

type plotSink struct {
	u     Unit
	path  string
	title func(Unit, End) string
	sums  []float64
}

func (s *plotSink) Window(w *detector.Window) error {
	s.sums = append(s.sums, w.Score.Sum)
	return nil
}

func (s *plotSink) Close(end End) error {
	opt := plots.Options{Title: s.title(s.u, end)}
	return plots.TraceScores(s.path, s.sums, end.Model.Threshold.Value, opt) // plots names the plot and its file
}

func (s *plotSink) Abort() {}

func trainTitle(u Unit, end End) string {
	t := end.Model.Threshold
	return fmt.Sprintf("%s — training: %d traces, threshold %.1f (mean − %g·σ)", u.Name, end.Windows, t.Value, t.K)
}

func runTitle(u Unit, end End) string {
	return fmt.Sprintf("%s — monitor (model %s): %d of %d traces below threshold %.1f", u.Name, end.Model.Unit, end.Anomalies, end.Windows, end.Model.Threshold.Value)
}
