// Package pipeline runs the monitor's commands over the per-unit data
// folders (see package layout): Train learns one model per service or
// group, Run judges every monitored host's flows with a model and writes
// its reports. Units are processed in parallel; a failing unit does not
// stop the others.
//
// It only orchestrates: the stages are their own packages, in the order
// data flows through them: flows (read, encode) → learner (learn) → model
// (the unit's model file) → detector (windows, scores, verdicts, root
// causes) → rootcause (rank, report) → outputs (the files of a unit's
// folder) and plots.
package pipeline

import (
	"fmt"
	"github.com/netflow-monitor/monitor/triage"
	"math"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Config is shared by Train and Run. Zero values take the defaults of
// DefaultConfig where noted.
type Config struct {
	TrainRoot   string       // train_data folder
	MonitorRoot string       // monitor_data folder (train: where the analyst's tags are)
	Services    []netip.Addr // restrict to these units (services); empty: all
	Groups      []string     // restrict to these groups (train); empty: all
	Workers     int          // units processed at once; 0: number of cores

	// Input flows.
	Format      string // flow file format; "" or "auto" detects it
	SkipBadRows bool   // count and skip bad rows instead of failing
	// MaxLine is the longest line (or quoted record) of a flow file, in
	// bytes; 0: input.DefaultMaxLine. See flows.DecodeOptions.
	MaxLine int

	// Training.
	Window int     // flows per trace (default 10)
	Stride int     // flows between trace starts (default 1)
	Sigma  float64 // k in the threshold mean - k*sd (default 7)
	// Folds is the number of blocks of the training that the thresholds'
	// held-out scores come from (default 5; 1: scores of the model on its
	// own training, as models of earlier versions had).
	Folds int
	// FoldFlows caps the training flows each held-out fold learns from:
	// the flows nearest its block, so that the folds' cost stops growing
	// with the unit (0: no cap, every flow outside the block).
	FoldFlows int
	Encoder   string               // "encode" (default) or "quantile"
	Encoding  flows.EncoderOptions // encoder options (port class, ...)
	Learner   learner.Options
	// MaxMemory bounds the memory of a training, in bytes: units start
	// once their data and an automaton fit in what the units under way
	// leave, and wait until then (largest first); a unit that alone would
	// need more fails with an error saying so, instead of the process
	// being killed. 0: no bound.
	MaxMemory int64

	// Running.
	Model string // use this unit's model (a group or service) for every monitored host; "": each host's own
	// PlotFormat is the format of the score plots: png (default) or svg.
	PlotFormat plots.Format
	Top        int // root-cause states reported per host (default 10)
	// IncidentGap: anomalous windows whose root causes share a
	// connection, peer or port within this much event time are one
	// incident (default incident.DefaultGap; watch's --incident-gap).
	IncidentGap time.Duration
	// Bounds are how much of each host's alarms the reports keep (zero
	// fields: rootcause.DefaultBounds), so that memory and files are
	// bounded whatever the share of anomalous windows.
	Bounds rootcause.Bounds
	// Untrained holds the units whose training just failed (as "monitor
	// all" passes them on), by name: their hosts are reported with that
	// error rather than judged by an older model left in their folder.
	Untrained map[string]error

	// tags are the analyst's tags that training learns (see addTagged),
	// read once by Train.
	tags []triage.Tag

	// Progress, when set, is told about work as it goes: total steps once,
	// then one call per step done.
	Progress Progress
}

// Progress receives coarse progress: Train's in training flows (see
// readShare), Run's in steps; implementations must be safe for concurrent
// use.
type Progress interface {
	// Total gives the work to do, once, before any Add.
	Total(n int)
	// Add tells that n more is done.
	Add(n int)
}

// DefaultConfig returns the defaults: window 10, stride 1, sigma 7, the
// ENCODE-style encoder, the learner's defaults, top 10.
func DefaultConfig() Config {
	return Config{
		TrainRoot: "train_data", MonitorRoot: "monitor_data",
		Window: 10, Stride: 1, Sigma: 7, Folds: 5, FoldFlows: 100000, Encoder: "encode",
		// The port class tells a workstation's SMTP or C&C connection from
		// its web traffic of the same size; see README, Results.
		Encoding: flows.EncoderOptions{PortClass: true},
		Learner:  monitorLearnerOptions(), Top: 10, IncidentGap: incident.DefaultGap,
	}
}

// Validate checks the options, and sets Workers to the number of cores
// when it is 0. Train and Run call it; a command line calls it first to
// report a bad option before it looks at the folders.
func (c *Config) Validate() error {
	switch {
	case c.Window < 1:
		return fmt.Errorf("window %d: must be >= 1", c.Window)
	case c.Stride < 1:
		return fmt.Errorf("stride %d: must be >= 1", c.Stride)
	case !(c.Sigma >= 0) || math.IsInf(c.Sigma, 1): // NaN fails >= 0
		return fmt.Errorf("sigma %v: must be a number >= 0", c.Sigma)
	case c.Top < 1:
		return fmt.Errorf("top %d: must be >= 1", c.Top)
	case c.IncidentGap < 0:
		return fmt.Errorf("incident gap %v: must be >= 0", c.IncidentGap)
	case c.Folds < 1 || c.Folds > 100:
		return fmt.Errorf("folds %d: must be 1 to 100", c.Folds)
	case c.Bounds.Validate() != nil:
		return c.Bounds.Validate()
	case c.FoldFlows < 0:
		return fmt.Errorf("fold flows %d: must be >= 0 (0: no cap)", c.FoldFlows)
	case c.MaxLine < 0:
		return fmt.Errorf("max line %d: must be >= 0 (0: the default)", c.MaxLine)
	case c.Encoder != "" && !slices.Contains(flows.EncoderNames(), c.Encoder):
		return fmt.Errorf("encoder %q: want one of %s", c.Encoder, strings.Join(flows.EncoderNames(), ", "))
	}
	if c.PlotFormat != "" {
		if _, err := plots.ParseFormat(string(c.PlotFormat)); err != nil {
			return err
		}
	}
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	if err := c.Learner.Validate(); err != nil {
		return fmt.Errorf("learner: %w", err)
	}
	return nil
}

// outputs returns the options of the outputs.
func (c *Config) outputs() outputs.Options { return outputs.Options{PlotFormat: c.PlotFormat} }

func (c *Config) step() {
	if c.Progress != nil {
		c.Progress.Add(1)
	}
}

// monitorLearnerOptions are the learner's defaults with the two changes
// that fixed-length, overlapping flow windows call for: no end-of-trace
// probability (every window ends after the same number of flows, so the end
// carries no information and would pin each state to a position), and
// scoring with the red core (see learner.Options.CoreScoring), so that
// training windows are not scored by the prefix paths they made.
func monitorLearnerOptions() learner.Options {
	o := learner.DefaultOptions()
	o.FinalProb = false
	o.CoreScoring = true
	return o
}
