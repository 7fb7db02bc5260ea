package outputs

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/plots"
)

// plot is the score plot of a unit's windows in time against its
// threshold (see plots.WindowScores), named base plus the format's
// extension. A run's windows stream into a bounded plots.Series; a
// training's are kept (a float and a time each) until the threshold that
// flags them is known, and sorted by time (a group's hosts come one after
// another).
func plot(base string, o Options, training bool, title func(u Unit, end End) string) Output {
	owns := func(name string) bool {
		ext, ok := strings.CutPrefix(name, base+".")
		return ok && slices.Contains(plots.Formats(), plots.Format(ext))
	}
	return Output{Name: "plot", Owns: owns, Open: func(u Unit) (Sink, error) {
		s := &plotSink{u: u, format: o.PlotFormat, title: title, training: training, series: plots.NewSeries(0)}
		s.path = filepath.Join(u.Dir, base+s.format.Ext())
		return s, nil
	}}
}

type plotSink struct {
	u        Unit
	path     string
	format   plots.Format
	title    func(Unit, End) string
	training bool
	series   *plots.Series
	points   []point // training: every window, flagged at the end
}

type point struct {
	start int64
	sum   float64
}

func (s *plotSink) Window(w *detector.Window) error {
	if s.training {
		s.points = append(s.points, point{w.Start, w.Score.Sum})
		return nil
	}
	s.series.Add(time.Unix(0, PlotTime(w)), w.Score.Sum, w.Anomalous)
	return nil
}

// PlotTime is when a run's plot draws a window: an alarm at its root-cause
// flow's start, when what it flags happened (a quiet host's window can
// start an hour before the flow that makes it an alarm), any other window
// at its start. watch's spool keeps it for its plots to be run's.
func PlotTime(w *detector.Window) int64 {
	if w.Anomalous && w.Cause.Start != 0 {
		return w.Cause.Start
	}
	return w.Start
}

func (s *plotSink) Close(_ context.Context, end End) error {
	thr := end.Model.Threshold
	if s.training {
		slices.SortStableFunc(s.points, func(a, b point) int { return cmp.Compare(a.start, b.start) })
		for _, p := range s.points {
			s.series.Add(time.Unix(0, p.start), p.sum, thr.Anomalous(p.sum))
		}
	}
	series := s.series
	if end.Series != nil {
		series = end.Series
	}
	opt := plots.Options{Title: s.title(s.u, end), Format: s.format}
	if end.Report != nil {
		for i, in := range end.Report.Incidents {
			if i == maxShaded {
				break
			}
			opt.Incidents = append(opt.Incidents, plots.Span{From: time.Unix(0, in.FirstSeen), To: time.Unix(0, in.LastSeen), Label: in.Summary})
		}
	}
	return plots.WindowScores(s.path, series, thr.Value, opt) // plots names the plot and its file
}

func (s *plotSink) Abort() {}

// maxShaded is how many incidents a plot shades, the most evidence first:
// more would hide each other.
const maxShaded = 5

func trainTitle(u Unit, end End) string {
	t := end.Model.Threshold
	return fmt.Sprintf("%s — training: %d traces, threshold %.1f (mean − %g·σ)", u.Name, end.Windows, t.Value, t.K)
}

func runTitle(u Unit, end End) string {
	return fmt.Sprintf("%s — monitor (model %s): %d of %d windows are alarms (threshold %.1f)", u.Name, end.Model.Unit, end.Anomalies, end.Windows, end.Model.Threshold.Value)
}
