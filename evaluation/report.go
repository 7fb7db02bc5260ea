package evaluation

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Evaluation output files, at the top of the monitor folder.
const (
	EvaluationFile = "evaluation.csv"
	SweepFile      = "evaluation_sweep.csv"
	// SweepPlotBase is the sweep plot's name without the extension of its
	// format.
	SweepPlotBase = "evaluation_sweep"
)

// evalRow is one row of evaluation.csv.
type evalRow struct {
	Host             string `csv:"host"`
	Model            string `csv:"model"`
	Detector         string `csv:"detector"`
	Traces           int    `csv:"traces"`
	Evaluated        int    `csv:"evaluated"`
	TP               int    `csv:"tp"`
	FP               int    `csv:"fp"`
	TN               int    `csv:"tn"`
	FN               int    `csv:"fn"`
	Precision        rate   `csv:"precision"`
	Recall           rate   `csv:"recall"`
	F1               rate   `csv:"f1"`
	BalancedAccuracy rate   `csv:"balanced accuracy"`
	FPR              rate   `csv:"fpr"`
	RootCauseHitRate rate   `csv:"root cause hit rate"`
	TopState         string `csv:"top root cause state"`
	TopConnection    string `csv:"top connection"`
	Error            string `csv:"error"`
}

type sweepRow struct {
	K                float64 `csv:"k"`
	TP               int     `csv:"tp"`
	FP               int     `csv:"fp"`
	TN               int     `csv:"tn"`
	FN               int     `csv:"fn"`
	Precision        float64 `csv:"precision"`
	Recall           float64 `csv:"recall"`
	F1               float64 `csv:"f1"`
	FPR              float64 `csv:"fpr"`
	RootCauseHitRate float64 `csv:"root cause hit rate"`
}

// rate is a rate in a report: "n/a" when it has no denominator.
type rate struct {
	v  float64
	ok bool
}

// MarshalCSV writes the rate as gocsv writes a float64, or n/a.
func (r rate) MarshalCSV() (string, error) {
	if !r.ok {
		return "n/a", nil
	}
	return strconv.FormatFloat(r.v, 'f', -1, 64), nil
}

// format prints the rate with the given decimals, or n/a.
func (r rate) format(decimals int) string {
	if !r.ok {
		return "n/a"
	}
	return strconv.FormatFloat(r.v, 'f', decimals, 64)
}

func metricsRow(host, model, detector string, m Metrics) evalRow {
	p, r, f := m.Defined()
	return evalRow{Host: host, Model: model, Detector: detector, Traces: m.Traces, Evaluated: m.Evaluated,
		TP: m.TP, FP: m.FP, TN: m.TN, FN: m.FN, Precision: rate{m.Precision, p}, Recall: rate{m.Recall, r}, F1: rate{m.F1, p && r},
		BalancedAccuracy: rate{m.BalancedAccuracy, r || f}, FPR: rate{m.FPR, f}, RootCauseHitRate: rate{m.RootCauseHitRate, m.TP > 0}}
}

func (he *HostEvaluation) row(detector string) evalRow {
	r := metricsRow(he.Host, he.Model, detector, he.Metrics)
	if he.TopRootCauseState != nil {
		r.TopState = strconv.Itoa(int(*he.TopRootCauseState))
	}
	if tc := he.TopConnection; tc != nil {
		r.TopConnection = fmt.Sprintf("%s %s port %d (%d)", tc.Direction, tc.IP, tc.Port, tc.Count)
	}
	r.Error = he.Error
	return r
}

// WriteEvaluation writes evaluation.csv (one row per host and an "overall"
// row) into the monitor folder, and with a sweep evaluation_sweep.csv and
// the sweep plot (evaluation_sweep.png or .svg), all atomically.
func WriteEvaluation(monitorRoot string, ev *Evaluation, format plots.Format) error {
	rows := make([]evalRow, 0, len(ev.Hosts)+1)
	for i := range ev.Hosts {
		rows = append(rows, ev.Hosts[i].row(ev.Detector))
	}
	rows = append(rows, metricsRow("overall", "", ev.Detector, ev.Overall))
	if err := writeReport(filepath.Join(monitorRoot, EvaluationFile), &rows); err != nil {
		return err
	}
	if len(ev.Sweep) == 0 {
		return nil
	}
	sw := make([]sweepRow, len(ev.Sweep))
	pts := make([]plots.SweepPoint, len(ev.Sweep))
	for i, p := range ev.Sweep {
		m := p.Metrics
		sw[i] = sweepRow{p.K, m.TP, m.FP, m.TN, m.FN, m.Precision, m.Recall, m.F1, m.FPR, m.RootCauseHitRate}
		pts[i] = plots.SweepPoint{K: p.K, Precision: m.Precision, Recall: m.Recall, F1: m.F1, FPR: m.FPR}
	}
	if err := writeReport(filepath.Join(monitorRoot, SweepFile), &sw); err != nil {
		return err
	}
	path := filepath.Join(monitorRoot, SweepPlotBase+format.Ext())
	if err := plots.Sweep(path, pts, plots.SweepOptions{Title: "Detection against the labels as the threshold's k varies", Format: format}); err != nil {
		return fmt.Errorf("sweep plot: %w", err)
	}
	return nil
}

func writeReport(path string, rows any) error { return rootcause.WriteCSV(path, rows) }

// PrintEvaluation writes the evaluation as an aligned table.
func PrintEvaluation(w io.Writer, ev *Evaluation) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "host\tmodel\ttraces\tTP\tFP\tTN\tFN\tprecision\trecall\tF1\tFPR\tRC hit\ttop root cause\t\n")
	line := func(r evalRow) {
		top := r.TopConnection
		if r.TopState != "" {
			top = "state " + r.TopState + ": " + top
		}
		if r.Error != "" {
			top = "ERROR " + r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Host, r.Model, r.Traces,
			r.TP, r.FP, r.TN, r.FN, r.Precision.format(3), r.Recall.format(3), r.F1.format(3), r.FPR.format(4), r.RootCauseHitRate.format(3), top)
	}
	for i := range ev.Hosts {
		line(ev.Hosts[i].row(ev.Detector))
	}
	line(metricsRow("overall", "", ev.Detector, ev.Overall))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ev.Labels) > 0 {
		fmt.Fprintln(w, "\nlabels of the monitored flows, and how they were counted:")
		for i, l := range ev.Labels {
			if i == 20 {
				fmt.Fprintf(w, "  ... and %d more values\n", len(ev.Labels)-20)
				break
			}
			fmt.Fprintf(w, "  %8d flows  %-9s (%s)  %s\n", l.Flows, l.Class, l.Vocabulary, input.Quote(l.Value))
		}
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if len(ev.Sweep) > 0 {
		fmt.Fprintf(tw, "\t\t\t\t\t\t\t\t\t\t\t\t\t\n")
		fmt.Fprintf(tw, "k\t\t\tTP\tFP\tTN\tFN\tprecision\trecall\tF1\tFPR\tRC hit\t\t\n")
		for _, p := range ev.Sweep {
			m := p.Metrics
			fmt.Fprintf(tw, "%g\t\t\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.4f\t%.3f\t\t\n", p.K, m.TP, m.FP, m.TN, m.FN, m.Precision, m.Recall, m.F1, m.FPR, m.RootCauseHitRate)
		}
	}
	return tw.Flush()
}
