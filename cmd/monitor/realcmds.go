package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/evaluation"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/ingest"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/spf13/cobra"
)

func newSplitCmd() *cobra.Command {
	c := ingest.SplitConfig{TrainRoot: "train_data", MonitorRoot: "monitor_data", Criteria: ingest.DefaultServiceCriteria()}
	var until, from, services, monitorHosts string
	var groups []string
	var locks folderLocks
	cmd := &cobra.Command{
		Use:   "split FLOWFILE... --train-until TIME",
		Short: "Split flow files (Argus, nfdump, Zeek, goflow2, Packetbeat, CSV) into train and monitor folders",
		Example: `  # CTU-13 scenario 6: train on the hour before 11:01, monitor the rest
  monitor split capture20110816.binetflow.gz --train-until 2011-08-16T11:01:00+02:00 \
    --train-data T --monitor-data M
  # a Zeek conn.log, the services found automatically
  monitor split conn.log --services auto --train-fraction 0.5 --train-data T --monitor-data M`,
		Long: `split reads one or more flow files (streaming; .gz read transparently; the
format detected from the header unless --format is given) and writes the
train/monitor folder layout: for every service and group, the flows of its
hosts before the split point into its train folder; for every monitored
host, its flows from the split point on into its monitor folder. Labels are
kept for "monitor evaluate".`,
		Args: minArgs(1, "flow file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkMaxLine(c.MaxLine); err != nil {
				return err
			}
			c.Inputs = args
			if until != "" {
				t, err := time.Parse(time.RFC3339Nano, until)
				if err != nil {
					return fmt.Errorf("--train-until %q: want RFC 3339 like 2011-08-16T11:01:00Z: %w", until, err)
				}
				c.TrainUntil = t.UTC()
			}
			if from != "" {
				t, err := time.Parse(time.RFC3339Nano, from)
				if err != nil {
					return fmt.Errorf("--train-from %q: want RFC 3339 like 2011-08-16T10:00:00Z: %w", from, err)
				}
				c.TrainFrom = t.UTC()
			}
			switch strings.TrimSpace(services) {
			case "":
			case "auto":
				c.AutoServices = true
			default:
				addrs, err := parseAddrList("--services", services)
				if err != nil {
					return err
				}
				c.Services = addrs
			}
			hosts, err := parseAddrList("--monitor-hosts", monitorHosts)
			if err != nil {
				return err
			}
			c.MonitorHosts = hosts
			for _, g := range groups {
				u, err := parseGroup(g)
				if err != nil {
					return err
				}
				c.Groups = append(c.Groups, u)
			}
			if err := outputFolders(c.TrainRoot, c.MonitorRoot); err != nil {
				return err
			}
			release, err := locks.take(cmd, writes(c.TrainRoot), writes(c.MonitorRoot))
			if err != nil {
				return err
			}
			defer release()
			sum, err := ingest.Split(cmd.Context(), c)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "read %s; split at %s\n", count(sum.Flows, "flow"), sum.Until.Format(time.RFC3339))
			if sum.Skipped > 0 {
				fmt.Fprintf(out, "skipped %s\n", count(sum.Skipped, "bad row"))
			}
			if len(sum.Dropped) > 0 {
				fmt.Fprintf(out, "left out %s\n", droppedRows(sum.Dropped))
			}
			if sum.Before > 0 {
				fmt.Fprintf(out, "left out %s before --train-from\n", count(sum.Before, "flow"))
			}
			if c.AutoServices {
				fmt.Fprintf(out, "services found: %d\n", len(sum.Auto))
			}
			for _, h := range sum.Own {
				fmt.Fprintf(out, "%s is monitored and in no service or group: it gets a model of its own\n", h)
			}
			for _, u := range sum.Units {
				fmt.Fprintf(out, "%-16s train %8d %-5s  monitor %8d %s\n", u.Unit, u.Train, noun(u.Train, "flow"), u.Monitor, noun(u.Monitor, "flow"))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.Format, "format", "auto", "input format: auto, argus, nfdump, zeek, goflow2, packetbeat, csv")
	f.BoolVar(&c.SkipBadRows, "skip-bad-rows", false, "skip rows that do not parse (counted and reported) instead of failing")
	maxLineFlag(cmd, &c.MaxLine)
	f.StringVar(&until, "train-until", "", "flows starting before this time (RFC 3339) train, the rest are monitored")
	f.StringVar(&from, "train-from", "", "flows starting before this time (RFC 3339) are not used at all")
	f.Float64Var(&c.TrainFraction, "train-fraction", 0, "without --train-until: this fraction of the capture's time span trains")
	f.StringVar(&services, "services", "", `services that get a model: "auto" (hosts many peers reach on a few ports) or IP,IP,...`)
	f.IntVar(&c.Criteria.MinFlows, "min-flows", c.Criteria.MinFlows, "with --services auto: flows a service needs at least")
	f.IntVar(&c.Criteria.MinPeers, "min-peers", c.Criteria.MinPeers, "with --services auto: distinct peers connecting to a service at least")
	f.StringArrayVar(&groups, "group", nil, "NAME=IP,IP,...: one model for hosts sharing a role (repeatable)")
	f.StringVar(&monitorHosts, "monitor-hosts", "", "hosts to monitor, IP,IP,... (default: the services)")
	f.StringVar(&c.TrainRoot, "train-data", c.TrainRoot, "train data folder to write")
	f.StringVar(&c.MonitorRoot, "monitor-data", c.MonitorRoot, "monitor data folder to write")
	f.BoolVar(&c.Force, "force", false, "replace existing flow files in the folders")
	locks.bind(f)
	return cmd
}

// droppedRows says which rows of the input were left out as not IP flows:
// "200 rows that are not IP flows (195 ARP, 5 IPX/SPX)", most first.
func droppedRows(dropped []flows.Dropped) string {
	dropped = slices.Clone(dropped)
	slices.SortStableFunc(dropped, func(a, b flows.Dropped) int { return cmp.Compare(b.Rows, a.Rows) })
	n := 0
	var kinds []string
	for _, d := range dropped {
		n += d.Rows
		kinds = append(kinds, fmt.Sprintf("%d %s", d.Rows, d.Kind))
	}
	return fmt.Sprintf("%s that %s not IP flows (%s)", count(n, "row"), map[bool]string{true: "is", false: "are"}[n == 1], strings.Join(kinds, ", "))
}

func parseAddrList(flag, s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		a, err := layout.ParseService(part)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// parseGroup parses NAME=IP,IP,... and validates the name before it can
// become a folder name.
func parseGroup(s string) (layout.Unit, error) {
	name, members, ok := strings.Cut(s, "=")
	if !ok {
		return layout.Unit{}, fmt.Errorf("--group %q: want NAME=IP,IP,...", s)
	}
	if err := layout.ValidateGroupName(name); err != nil {
		return layout.Unit{}, fmt.Errorf("--group: %w", err)
	}
	addrs, err := parseAddrList("--group "+name, members)
	if err != nil {
		return layout.Unit{}, err
	}
	if len(addrs) == 0 {
		return layout.Unit{}, fmt.Errorf("--group %s: no members", name)
	}
	return layout.Unit{Name: name, Members: addrs}, nil
}

func newEvaluateCmd() *cobra.Command {
	c := evaluation.Config{TrainRoot: "train_data", MonitorRoot: "monitor_data", Detector: evaluation.DetectorNames()[0]}
	var asJSON, sweep bool
	var services, labelMap []string
	var locks folderLocks
	var format plots.Format
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "Measure the last run against the labels of the monitored flows",
		Example: `  monitor evaluate --train-data T --monitor-data M
  monitor evaluate --json --sweep        # recall and FPR at each k
  monitor evaluate --detector new-connection   # the baseline`,
		Long: `evaluate reads the labelled monitor flows and the last run's predictions and
reports, per host and overall: traces, TP, FP, TN, FN, precision, recall, F1,
balanced accuracy, false-positive rate, and the root-cause hit rate (share of
flagged malicious traces whose root-cause flow is itself malicious). A trace
is malicious when any of its flows is, benign when all are; traces with
unknown flows and no malicious one are left out. Writes evaluation.csv into
the monitor folder; --json prints one JSON object on stdout.`,
		Args: noArgs(bothFolders),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkMaxLine(c.MaxLine); err != nil {
				return err
			}
			for _, s := range services {
				a, err := layout.ParseService(s)
				if err != nil {
					return fmt.Errorf("--service %w", err)
				}
				c.Services = append(c.Services, a)
			}
			if sweep {
				c.Sweep = evaluation.DefaultKs()
			}
			lm, err := evaluation.ParseLabelMap(labelMap)
			if err != nil {
				return fmt.Errorf("--label-map: %w", err)
			}
			c.Labels = lm
			if err := inputFolders(c.TrainRoot, c.MonitorRoot); err != nil {
				return err
			}
			release, err := locks.take(cmd, reads(c.TrainRoot), writes(c.MonitorRoot))
			if err != nil {
				return err
			}
			defer release()
			ev, err := evaluation.Evaluate(cmd.Context(), c)
			if err != nil {
				return err
			}
			if err := evaluation.WriteEvaluation(c.MonitorRoot, ev, format); err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				err = enc.Encode(ev)
			} else {
				err = evaluation.PrintEvaluation(cmd.OutOrStdout(), ev)
			}
			if err != nil {
				return err
			}
			// Like train and run: hosts that could not be evaluated make
			// the command fail after the others are reported.
			failed := 0
			for _, h := range ev.Hosts {
				if h.Error != "" {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "FAILED %s: %s\n", h.Host, h.Error)
				}
			}
			if failed > 0 {
				return fmt.Errorf("evaluate: %d of %d hosts failed", failed, len(ev.Hosts))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.TrainRoot, "train-data", c.TrainRoot, "train data folder")
	f.StringVar(&c.MonitorRoot, "monitor-data", c.MonitorRoot, "monitor data folder")
	f.StringArrayVar(&services, "service", nil, "only this host (repeatable)")
	f.StringVar(&c.Format, "format", "auto", "flow file format")
	f.BoolVar(&c.SkipBadRows, "skip-bad-rows", false, "skip rows that do not parse")
	maxLineFlag(cmd, &c.MaxLine)
	f.StringVar(&c.Detector, "detector", c.Detector, "detector to measure: "+detectorHelp())
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object on stdout")
	locks.bind(f)
	bindPlotFormat(f, &format)
	f.StringArrayVar(&labelMap, "label-map", nil, "VALUE=malicious|benign|unknown: how to count a label value no known vocabulary (CTU-13, IoT-23, this tool's) has (repeatable)")
	f.BoolVar(&sweep, "sweep", false, "also report the metrics for k = 1, 1.5, ..., 10 (the threshold's sigma multiplier), with a plot")
	return cmd
}

// detectorHelp lists evaluate's detectors for --help.
func detectorHelp() string {
	var parts []string
	for _, d := range evaluation.Detectors() {
		parts = append(parts, d.Name+" ("+d.Doc+")")
	}
	return strings.Join(parts, ", ")
}
