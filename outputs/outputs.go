// Package outputs writes what train and run leave in a unit's folder: the
// predictions file, the model, the root-cause reports and the score plot.
//
// Each output is a sink: it takes the unit's scored windows in order and
// writes its files, atomically, when the unit is done. Train and Run list
// the outputs of each command, so that writing them, and removing what a
// failed unit left, loop over one table. Adding an output is one file with
// its sink and one line in a table.
package outputs

import (
	"context"
	"fmt"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Output file names. A plot's name is its base and the extension of its
// format (probability_plot_monitor.png by default).
const (
	TrainPredictionsFile   = "train_data_predictions.csv"
	TrainPlotBase          = "probability_plot_train"
	MonitorPredictionsFile = "monitor_data_predictions.csv"
	MonitorPlotBase        = "probability_plot_monitor"
	// SummaryFile is the run's summary at the top of the monitor folder.
	SummaryFile = "summary.csv"
)

// Unit is what sinks know of the unit whose folder they write.
type Unit struct {
	Name string // the unit (service, group or monitored host)
	Dir  string // its folder
	// Model scores the windows. In training it is the model being made:
	// its automaton and encoder are set, its threshold only at the end
	// (see End).
	Model *model.Model
}

// End is what sinks learn when a unit's windows are done.
type End struct {
	// Model is the model that scored the windows, complete: in training,
	// the new model with its threshold.
	Model     *model.Model
	Windows   int
	Anomalies int
	// Report explains the anomalies (run only; nil in training).
	Report *rootcause.Report
	// Series are the windows' scores gathered already (watch keeps
	// them as its windows come); nil: the plot is of the windows its sink
	// was given.
	Series *plots.Series
}

// Sink takes a unit's windows in order and writes its files at the end.
type Sink interface {
	// Window takes the next window; it may keep nothing of it but copies.
	Window(w *detector.Window) error
	// Close writes the sink's files from what it was given; it stops
	// when ctx is done.
	Close(ctx context.Context, end End) error
	// Abort drops anything the sink has half-written; after a Close it
	// does nothing.
	Abort()
}

// Output is one entry of an output table.
type Output struct {
	// Name says what the output is, for messages.
	Name string
	// Owns reports whether a file name of a unit's folder is this
	// output's.
	Owns func(name string) bool
	// Open starts the output's sink for a unit.
	Open func(u Unit) (Sink, error)
}

// Options choose how outputs are written.
type Options struct {
	PlotFormat plots.Format // png (the default) or svg
}

// Train returns the outputs of training, in the order they are written.
func Train(o Options) []Output {
	return []Output{
		predictions(TrainPredictionsFile),
		modelFile(),
		plot(TrainPlotBase, o, true, trainTitle),
	}
}

// Run returns the outputs of monitoring, in the order they are written.
func Run(o Options) []Output {
	return []Output{
		predictions(MonitorPredictionsFile),
		reports(),
		plot(MonitorPlotBase, o, false, runTitle),
	}
}

// file returns an Owns that matches one file name.
func file(name string) func(string) bool { return func(n string) bool { return n == name } }

// Sinks are the open sinks of one unit, fed and closed together.
type Sinks []Sink

// Open opens the sinks of every output of table for u. On an error the
// ones already open are aborted.
func Open(table []Output, u Unit) (Sinks, error) {
	var s Sinks
	for _, o := range table {
		k, err := o.Open(u)
		if err != nil {
			s.Abort()
			return nil, fmt.Errorf("%s: %w", o.Name, err)
		}
		s = append(s, k)
	}
	return s, nil
}

// Window gives w to every sink.
func (s Sinks) Window(w *detector.Window) error {
	for _, k := range s {
		if err := k.Window(w); err != nil {
			return err
		}
	}
	return nil
}

// Close closes every sink in order; it stops at the first error, or when
// ctx is done.
func (s Sinks) Close(ctx context.Context, end End) error {
	for _, k := range s {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := k.Close(ctx, end); err != nil {
			return err
		}
	}
	return nil
}

// Abort aborts every sink.
func (s Sinks) Abort() {
	for _, k := range s {
		k.Abort()
	}
}

// Owns returns whether a file name of a unit's folder belongs to an
// output of table.
func Owns(table []Output) func(name string) bool {
	return func(name string) bool { return owned(table, name) }
}

func owned(table []Output, name string) bool {
	for _, o := range table {
		if o.Owns(name) {
			return true
		}
	}
	return false
}

// summer is a sink that sums the files it writes as it writes them (see
// layout.Generation.Commit), sparing a read of large files.
type summer interface {
	sums() []layout.FileSum
}

// Sums returns the sums of the files that sinks summed as they wrote them.
func (s Sinks) Sums() []layout.FileSum {
	var out []layout.FileSum
	for _, k := range s {
		if sm, ok := k.(summer); ok {
			out = append(out, sm.sums()...)
		}
	}
	return out
}
