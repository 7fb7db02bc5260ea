package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/htmlreport"
	"github.com/netflow-monitor/monitor/rootcause"
	"github.com/netflow-monitor/monitor/triage"

	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/pipeline"
	"github.com/spf13/cobra"
)

// pipelineFlags are the flags train and run share.
type pipelineFlags struct {
	cfg      pipeline.Config
	services []string
	groups   []string
	quiet    bool
	locks    folderLocks
}

// bind binds the flags of train (training), run (running), or both.
func (pf *pipelineFlags) bind(cmd *cobra.Command, training, running bool) {
	pf.cfg = pipeline.DefaultConfig()
	c := &pf.cfg
	f := cmd.Flags()
	f.StringVar(&c.TrainRoot, "train-data", c.TrainRoot, "train data folder (one sub-folder per service or group)")
	f.StringArrayVar(&pf.services, "service", nil, "only this service IP (repeatable)")
	f.IntVar(&c.Workers, "workers", 0, "units processed in parallel (default: number of cores)")
	f.StringVar(&c.Format, "format", "auto", "flow file format (auto detects it from the header)")
	f.BoolVar(&c.SkipBadRows, "skip-bad-rows", false, "skip rows that do not parse (counted and reported) instead of failing")
	f.BoolVarP(&pf.quiet, "quiet", "q", false, "no progress bar")
	pf.locks.bind(f)
	bindPlotFormat(f, &c.PlotFormat)
	maxLineFlag(cmd, &c.MaxLine)
	if training {
		f.StringArrayVar(&pf.groups, "group", nil, "only this group (repeatable)")
		f.IntVar(&c.Window, "window", c.Window, "flows per trace (sliding window)")
		f.IntVar(&c.Stride, "stride", c.Stride, "flows between trace starts")
		f.Float64Var(&c.Sigma, "sigma", c.Sigma, "k in the anomaly threshold mean - k*sd of the training scores")
		f.IntVar(&c.Folds, "folds", c.Folds, "blocks of the training period: each is scored by a model learned on the others, for the thresholds (1: by the model on its own training)")
		f.IntVar(&c.FoldFlows, "fold-flows", c.FoldFlows, "at most this many training flows for each held-out fold's model, those nearest its block (0: all the others)")
		f.StringVar(&c.Encoder, "encoder", c.Encoder, "flow encoder: encode (k-means sizes, duration bins) or quantile")
		f.BoolVar(&c.Encoding.PortClass, "port-class", c.Encoding.PortClass, "add the destination port's class to each symbol: the training's service ports, else well-known, registered or ephemeral")
		f.IntVar(&c.Encoding.KMin, "clusters-min", 2, "encode: fewest size clusters (k-means; the best k by silhouette is kept)")
		f.IntVar(&c.Encoding.KMax, "clusters-max", 35, "encode: most size clusters")
		f.IntVar(&c.Encoding.DurationBins, "duration-bins", 5, "percentile bins of the flow duration")
		f.Var((*byteSize)(&c.MaxMemory), "max-memory", "memory the training may take (e.g. 2GB): units wait for room, largest first, and one that alone needs more fails saying so; 0: no limit")
		f.IntVar(&c.Encoding.Bins, "bins", 5, "quantile encoder: bins of bytes and of packets")
		learnerFlags(cmd, &c.Learner)
	}
	if training && !running {
		f.StringVar(&c.MonitorRoot, "monitor-data", c.MonitorRoot, "monitor data folder whose incidents tagged expected or false-positive (monitor tag) training learns as normal; absent: none")
	}
	if running {
		f.StringVar(&c.MonitorRoot, "monitor-data", c.MonitorRoot, "monitor data folder (one sub-folder per monitored host)")
		f.StringVar(&c.Model, "model", "", "judge every monitored host with this unit's model (a group name or service IP); default: each host's own")
		f.IntVar(&c.Top, "top", c.Top, "root-cause states reported per host")
		f.DurationVar(&c.IncidentGap, "incident-gap", c.IncidentGap, "anomalous windows whose root causes share a connection, peer or port within this much event time (or in overlapping windows) are one incident, as watch --incident-gap")
	}
}

// validate checks the counts and parses the unit filters: mistakes on the
// command line are reported before the folders are looked at.
func (pf *pipelineFlags) validate(cmd *cobra.Command) error {
	if err := pf.checkCounts(cmd); err != nil {
		return err
	}
	if err := pf.cfg.Validate(); err != nil {
		return err
	}
	pf.cfg.Services, pf.cfg.Groups = nil, nil
	for _, s := range pf.services {
		a, err := layout.ParseService(s)
		if err != nil {
			return fmt.Errorf("--service %w", err)
		}
		pf.cfg.Services = append(pf.cfg.Services, a)
	}
	for _, g := range pf.groups {
		if err := layout.ValidateGroupName(g); err != nil {
			return fmt.Errorf("--group: %w", err)
		}
		pf.cfg.Groups = append(pf.cfg.Groups, g)
	}
	return nil
}

// prepare sets up the progress bar (it runs twice in "all"), which counts
// unit (see bar.counting).
func (pf *pipelineFlags) prepare(cmd *cobra.Command, what, unit string) (done func()) {
	b := newBar(cmd.ErrOrStderr(), what, pf.quiet).counting(unit)
	pf.cfg.Progress = nil
	if b.on() {
		pf.cfg.Progress = b
	}
	return b.finish
}

// checkCounts refuses counts the command line gives out of range. (The
// library reads 0 as "the default"; on the command line the defaults are
// shown, so a 0 there is a mistake, except --workers 0: all cores.)
func (pf *pipelineFlags) checkCounts(cmd *cobra.Command) error {
	c := &pf.cfg
	if err := checkMaxLine(c.MaxLine); err != nil {
		return err
	}
	if c.Workers < 0 {
		return fmt.Errorf("--workers %d: must be >= 1, or 0 for the number of cores", c.Workers)
	}
	if cmd.Flags().Lookup("clusters-min") == nil {
		return nil // no encoder flags: run
	}
	e := c.Encoding
	for _, f := range []struct {
		name string
		v    int
	}{{"clusters-min", e.KMin}, {"clusters-max", e.KMax}, {"duration-bins", e.DurationBins}, {"bins", e.Bins}} {
		if f.v < 1 {
			return fmt.Errorf("--%s %d: must be >= 1", f.name, f.v)
		}
	}
	if e.KMax < e.KMin {
		return fmt.Errorf("--clusters-max %d is below --clusters-min %d", e.KMax, e.KMin)
	}
	return nil
}

func reportSkipped(w io.Writer, skipped []layout.Skipped) {
	for _, s := range skipped {
		fmt.Fprintf(w, "skipped folder %q: %v\n", s.Name, s.Reason)
	}
}

func newTrainCmd() *cobra.Command {
	var pf pipelineFlags
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Learn one model per service (and group) from the train data folder",
		Example: `  monitor train                          # train_data/, every service and group
  monitor train --train-data T --service 10.1.0.12 -q
  # after tagging incidents expected or false-positive (monitor tag), learn them as normal
  monitor train --train-data train_data --monitor-data monitor_data`,
		Long: `train reads train_data/<service>/<service>_train_data.csv for every service
folder (and every group folder with a group.json), encodes each flow as a
symbol, cuts sliding-window traces, learns the service's automaton, scores
the training traces and sets the alarm threshold at mean - k*sd of their
scores. It writes model.json, train_data_predictions.csv and
probability_plot_train.png into each folder.

Incidents an analyst tagged expected or false-positive (monitor tag, in the
--monitor-data folder's tags.csv) are learned as normal: the tagged host's
monitored flows from the incident's first to its last root-cause flow join
its training, so that its model (and its group's) no longer flags them.`,
		Args: noArgs(trainFolders),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := pf.validate(cmd); err != nil {
				return err
			}
			if err := existingFolder("--train-data", pf.cfg.TrainRoot); err != nil {
				return err
			}
			release, err := pf.locks.take(cmd, writes(pf.cfg.TrainRoot))
			if err != nil {
				return err
			}
			defer release()
			_, err = runTrain(cmd, &pf)
			return err
		},
	}
	pf.bind(cmd, true, false)
	return cmd
}

// runTrain trains, prints each unit's outcome and returns the units whose
// training failed, by name (nil when the training stopped as a whole: bad
// flags, no folders, cancelled), with the command's error: non-nil when any
// unit failed or the training stopped.
func runTrain(cmd *cobra.Command, pf *pipelineFlags) (untrained map[string]error, err error) {
	done := pf.prepare(cmd, "training", "flows")
	restore := learningGC(pf.cfg.MaxMemory)
	results, skipped, err := pipeline.Train(cmd.Context(), pf.cfg)
	restore()
	done()
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	reportSkipped(errOut, skipped)
	var failed []unitFailure
	untrained = map[string]error{}
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, unitFailure{r.Unit, r.Err})
			untrained[r.Unit] = r.Err
			continue
		}
		learned := ""
		if r.Tagged > 0 {
			learned = fmt.Sprintf("  (learned %s of %s tagged expected or false-positive)", count(r.TaggedFlows, "flow"), count(r.Tagged, "incident"))
		}
		fmt.Fprintf(out, "%-16s %8d %-5s %8d %-6s %6d %-6s (%d red)  threshold %.2f%s%s\n",
			r.Unit, r.Flows, noun(r.Flows, "flow"), r.Traces, noun(r.Traces, "trace"), r.States, noun(r.States, "state"), r.Red, r.Threshold.Value, notes(r.Skipped, r.Foreign), learned)
		for _, w := range r.Warnings {
			fmt.Fprintf(errOut, "warning: %s: %s\n", r.Unit, w)
		}
	}
	if err != nil {
		return nil, finish(errOut, "train", err, failed)
	}
	return untrained, finish(errOut, "train", nil, failed)
}

func newRunCmd() *cobra.Command {
	var pf pipelineFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Score the monitor data with the trained models and write root-cause reports",
		Example: `  monitor run                            # monitor_data/ with train_data/'s models
  monitor run --train-data T --monitor-data M --service 10.1.0.13
  # judge every host with one group's model
  monitor run --model web --monitor-data M`,
		Long: `run scores every host folder under monitor_data with its model (or, with
--model, a group's or another service's model), flags windows below the
model's threshold, finds each flagged window's root-cause flow, groups them
into incidents and writes, into each host's folder:

  incidents.csv                  what the alarms add up to, most evidence first:
                                 kind, summary, peer, port, first and last seen, id
  root_cause_connections.csv     every connection behind the alarms, most evidence first
  root_cause_<state>_prediction_info.csv, root_cause_<state>_connection_info.csv
                                 the alarm windows and connections of the top
                                 root-cause states (--top)
  monitor_data_predictions.csv   every window, scored
  probability_plot_monitor.png   the scores in time, alarms marked (--plot-format)
  manifest.json                  the outputs, with sizes and CRC-32C (monitor verify)

and into the monitor folder:

  summary.csv                    one row per host
  report.html                    one page for a browser: the incidents of every
                                 host first, then each host's plot, incidents
                                 and connections (its path is printed at the end)

Incidents tagged (monitor tag) or silenced (monitor silence) in the monitor
folder are shown so; a silenced one is counted, never left out.`,
		Args: noArgs(bothFolders),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := pf.validate(cmd); err != nil {
				return err
			}
			if err := inputFolders(pf.cfg.TrainRoot, pf.cfg.MonitorRoot); err != nil {
				return err
			}
			release, err := pf.locks.take(cmd, reads(pf.cfg.TrainRoot), writes(pf.cfg.MonitorRoot))
			if err != nil {
				return err
			}
			defer release()
			return runRun(cmd, &pf)
		},
	}
	pf.bind(cmd, false, true)
	return cmd
}

func runRun(cmd *cobra.Command, pf *pipelineFlags) error {
	// The analyst's tags and silences are read first: a file that is not
	// right stops the run before any work, naming its line and field.
	st, err := triage.Load(pf.cfg.MonitorRoot)
	if err != nil {
		return err
	}
	now := time.Now()
	done := pf.prepare(cmd, "monitoring", "")
	results, skipped, err := pipeline.Run(cmd.Context(), pf.cfg)
	done()
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	reportSkipped(errOut, skipped)
	var failed []unitFailure
	for _, r := range results {
		for _, w := range r.Warnings {
			fmt.Fprintf(errOut, "warning: %s: %s\n", r.Host, w)
		}
		if r.Err != nil {
			failed = append(failed, unitFailure{r.Host, r.Err})
			continue
		}
		rep := r.Report
		short := ""
		if r.Flows < r.Window {
			short = fmt.Sprintf("  (%s, fewer than the window of %d: one short trace, scored against a threshold for full windows)", count(r.Flows, "flow"), r.Window)
		}
		fmt.Fprintf(out, "%-16s %8d %-6s %6d %-9s  %s%s%s\n", r.Host, rep.Traces, noun(rep.Traces, "trace"), rep.Anomalies, noun(rep.Anomalies, "anomaly"), topWords(r.Host, &rep, st, now), notes(r.Skipped, r.Foreign), short)
	}
	if err == nil {
		fmt.Fprintln(out, "report:", filepath.Join(pf.cfg.MonitorRoot, htmlreport.File))
	}
	return finish(errOut, "run", err, failed)
}

func newAllCmd() *cobra.Command {
	var pf pipelineFlags
	cmd := &cobra.Command{
		Use:   "all",
		Short: "Train, then run: the whole main job in one command",
		Example: `  monitor all                            # the shipped example: train, then run
  monitor all --train-data T --monitor-data M -q && xdg-open M/report.html`,
		Long: `all runs "monitor train" and then "monitor run" with the same folders and
flags: it learns a model per service from train_data and then scores
monitor_data with them. It writes what train writes into each train folder
(model.json, train_data_predictions.csv, probability_plot_train.png) and
what run writes (see monitor run --help): per host incidents.csv,
root_cause_connections.csv, the root-cause files, predictions and plot,
and monitor_data/summary.csv and monitor_data/report.html, whose path it
prints at the end. A service whose training fails is reported and not
monitored; the others are.`,
		Args: noArgs(bothFolders),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := pf.validate(cmd); err != nil {
				return err
			}
			if err := inputFolders(pf.cfg.TrainRoot, pf.cfg.MonitorRoot); err != nil {
				return err
			}
			release, err := pf.locks.take(cmd, writes(pf.cfg.TrainRoot), writes(pf.cfg.MonitorRoot))
			if err != nil {
				return err
			}
			defer release()
			untrained, err := runTrain(cmd, &pf)
			if untrained == nil {
				return err // the training stopped as a whole
			}
			// A unit whose training failed does not stop the others: they
			// are monitored, and its hosts are reported as not monitored
			// (rather than judged by an older model left in the folder).
			pf.cfg.Untrained = untrained
			rerr := runRun(cmd, &pf)
			if err != nil && rerr == nil {
				return err
			}
			return rerr
		},
	}
	pf.bind(cmd, true, true)
	return cmd
}

// topWords says what a host's alarms add up to: its top incident that no
// silence mutes, with how many more there are and how many are silenced;
// "no alarms" when it has none.
func topWords(host string, rep *rootcause.Report, st *triage.Store, now time.Time) string {
	if len(rep.Incidents) == 0 {
		if rep.Anomalies == 0 {
			return "no alarms"
		}
		return "no incident"
	}
	top, silenced := -1, 0
	for i := range rep.Incidents {
		if len(st.SilencedBy(triage.SubjectOf(host, &rep.Incidents[i]), now)) > 0 {
			silenced++
		} else if top < 0 {
			top = i
		}
	}
	if top < 0 {
		return fmt.Sprintf("%s, all silenced", count(len(rep.Incidents), "incident"))
	}
	s := "top incident: " + rep.Incidents[top].Summary
	if t, ok := st.TagOf(rep.Incidents[top].ID); ok {
		s += " [" + string(t.Label) + "]"
	}
	var more []string
	if n := len(rep.Incidents) - 1 - silenced; n > 0 {
		more = append(more, "and "+count(n, "other incident"))
	}
	if silenced > 0 {
		more = append(more, fmt.Sprintf("%d silenced", silenced))
	}
	if len(more) > 0 {
		s += " (" + strings.Join(more, "; ") + ")"
	}
	return s
}

func notes(skipped, foreign int) string {
	s := ""
	if skipped > 0 {
		s += fmt.Sprintf("  (%s skipped)", count(skipped, "bad row"))
	}
	if foreign > 0 {
		s += fmt.Sprintf("  (%s not involving the unit ignored)", count(foreign, "row"))
	}
	return s
}

// unitFailure is a unit whose part of a command failed, and why.
type unitFailure struct {
	unit string
	err  error
}

// finish reports per-unit failures after the others have run, and
// returns the command's error. When the command was interrupted (err is
// a cancellation: Ctrl-C, SIGTERM), the units it stopped are not failures:
// they are named in the one message of the interruption, which says what
// their folders now hold (see README, Ctrl-C).
func finish(out io.Writer, what string, err error, failed []unitFailure) error {
	interrupted := errors.Is(err, context.Canceled)
	var stopped, notStarted []string
	n := 0
	for _, f := range failed {
		switch {
		case interrupted && errors.Is(f.err, pipeline.ErrNotStarted):
			notStarted = append(notStarted, f.unit)
		case interrupted && errors.Is(f.err, context.Canceled):
			stopped = append(stopped, f.unit)
		default:
			fmt.Fprintln(out, "FAILED", f.unit+":", f.err)
			n++
		}
	}
	if interrupted {
		return interruptedError(what, stopped, notStarted)
	}
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%s: %d failed", what, n)
	}
	return nil
}

// interruptedError is the error of train or run stopped by a signal: which
// units it stopped midway and which it did not start, and what their
// folders hold: their earlier outputs, whether stopped or not started
// (a stop is not a failure).
func interruptedError(what string, stopped, notStarted []string) error {
	var parts []string
	if len(stopped) > 0 {
		parts = append(parts, names(stopped)+" stopped midway")
	}
	if len(notStarted) > 0 {
		parts = append(parts, names(notStarted)+" not started")
	}
	msg := what + " interrupted"
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, ", ")
		if what == "run" {
			msg += "; they keep their earlier outputs"
		} else {
			msg += "; they keep their earlier models and outputs"
		}
	}
	if what == "run" {
		msg += "; summary.csv and report.html are the last finished run's"
	}
	return &interrupted{msg}
}

// names lists units for a message, the first ten of them.
func names(units []string) string {
	if len(units) > 10 {
		return strings.Join(units[:10], ", ") + fmt.Sprintf(" and %d more", len(units)-10)
	}
	return strings.Join(units, ", ")
}
