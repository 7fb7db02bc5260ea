package outputs

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/layout"
)

// TestOwns: each table claims its own files and nothing else (what a
// generation does not carry over, and what verify expects in a manifest).
func TestOwns(t *testing.T) {
	others := []string{"probability_plot_monitor.jpg", "10.0.0.1_monitor_data.csv", "10.0.0.1_train_data.csv", "group.json", "notes.txt", SummaryFile, "root_cause_x_prediction_info.csv"}
	tests := []struct {
		name  string
		table []Output
		owned []string
	}{
		{"run", Run(Options{}), []string{MonitorPredictionsFile, MonitorPlotBase + ".png", MonitorPlotBase + ".svg", "root_cause_0_prediction_info.csv", "root_cause_17_connection_info.csv", "root_cause_-1_connection_info.csv"}},
		{"train", Train(Options{}), []string{TrainPredictionsFile, TrainPlotBase + ".png", TrainPlotBase + ".svg", layout.ModelFile}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			owns := Owns(tc.table)
			for _, n := range tc.owned {
				if !owns(n) {
					t.Errorf("%s not claimed", n)
				}
			}
			for _, n := range others {
				if owns(n) {
					t.Errorf("%s claimed", n)
				}
			}
		})
	}
}

// recorder is a sink that records what happens to it.
type recorder struct {
	log  *[]string
	name string
	fail bool
}

func (r recorder) Window(*detector.Window) error {
	*r.log = append(*r.log, r.name+" window")
	return nil
}
func (r recorder) Close(context.Context, End) error {
	*r.log = append(*r.log, r.name+" close")
	if r.fail {
		return errors.New(r.name + " failed")
	}
	return nil
}
func (r recorder) Abort() { *r.log = append(*r.log, r.name+" abort") }

// TestSinks: sinks get every window and are closed in table order, up to
// the first failure; a table whose output cannot open aborts the sinks
// already open.
func TestSinks(t *testing.T) {
	var log []string
	out := func(name string, fail, failOpen bool) Output {
		return Output{Name: name, Owns: file(name), Open: func(Unit) (Sink, error) {
			if failOpen {
				return nil, errors.New("cannot open")
			}
			return recorder{&log, name, fail}, nil
		}}
	}
	s, err := Open([]Output{out("a", false, false), out("b", true, false), out("c", false, false)}, Unit{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Window(&detector.Window{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background(), End{}); err == nil || err.Error() != "b failed" {
		t.Errorf("close: %v, want b's failure", err)
	}
	want := []string{"a window", "b window", "c window", "a close", "b close"}
	if !slices.Equal(log, want) {
		t.Errorf("log %q, want %q", log, want)
	}
	log = nil
	if _, err := Open([]Output{out("a", false, false), out("b", false, true)}, Unit{}); err == nil {
		t.Fatal("an output that cannot open: no error")
	}
	if !slices.Equal(log, []string{"a abort"}) {
		t.Errorf("log %q, want a aborted", log)
	}
}

// TestPlotTime: a run's plot draws an alarm when its root-cause flow
// started (on a quiet host a window can start an hour before the scan that
// makes it an alarm), other windows at their start.
func TestPlotTime(t *testing.T) {
	const hour = int64(time.Hour)
	for _, tc := range []struct {
		name string
		w    detector.Window
		want int64
	}{
		{"alarm", detector.Window{Start: 0, End: 2 * hour, Anomalous: true, Cause: detector.Cause{Start: 2 * hour}}, 2 * hour},
		{"normal", detector.Window{Start: hour, End: 2 * hour, Cause: detector.Cause{Start: 2 * hour}}, hour},
		{"alarm without flows", detector.Window{Start: hour, Anomalous: true}, hour},
	} {
		if got := PlotTime(&tc.w); got != tc.want {
			t.Errorf("%s: PlotTime %d, want %d", tc.name, got, tc.want)
		}
	}
}
