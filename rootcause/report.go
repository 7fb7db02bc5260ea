package rootcause

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gocarina/gocsv"
	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/flows"
)

// TimeLayout is how reports print times: ISO 8601 UTC with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

func isoTime(ns int64) string { return time.Unix(0, ns).UTC().Format(TimeLayout) }

// predictionInfo is a row of root_cause_<state>_prediction_info.csv: the
// learner's predict columns plus where the root cause is and which flow.
type predictionInfo struct {
	Row       int     `csv:"row nr"`
	Trace     string  `csv:"abbadingo trace"`
	States    string  `csv:"state sequence"`
	Scores    string  `csv:"score sequence"`
	Sum       float64 `csv:"sum scores"`
	Mean      float64 `csv:"mean scores"`
	Min       float64 `csv:"min score"`
	Index     int     `csv:"root cause index"`
	State     int32   `csv:"root cause state"`
	Time      string  `csv:"root cause time"`
	Direction string  `csv:"direction"`
	IP        string  `csv:"ip"`
	Port      uint16  `csv:"port"`
	FirstFlow int     `csv:"first flow"`
	CauseFlow int     `csv:"root cause flow"`
	CauseText string  `csv:"root cause in words"`
	FlowsText string  `csv:"flows in words"`
}

// connectionInfo is a row of root_cause_<state>_connection_info.csv.
type connectionInfo struct {
	Direction string `csv:"direction"`
	IP        string `csv:"ip"`
	Port      uint16 `csv:"port"`
	Count     int    `csv:"number of times flagged as root cause"`
	FirstSeen string `csv:"first time seen"`
}

// reportFile matches the names of the root-cause report files.
var reportFile = regexp.MustCompile(`^(root_cause_(-?[0-9]+_(prediction|connection)_info|connections|left_out)|incidents)\.csv$`)

// IsReportFile reports whether a file name is that of a root-cause report.
func IsReportFile(name string) bool { return reportFile.MatchString(name) }

// RemoveReports removes the root-cause report files in dir (of an earlier
// run). A file already gone is no error.
func RemoveReports(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	// Each one that can go goes, whatever the others do.
	var errs []error
	for _, e := range entries {
		if IsReportFile(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("reports: remove stale %s: %w", e.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// WriteReports writes, into dir, for each ranked state S of r:
//
//	root_cause_S_prediction_info.csv: its anomalous traces (the first
//	  Bounds.StateRows): row nr; abbadingo trace; state sequence; score
//	  sequence; sum scores; mean scores; min score; root cause index; root
//	  cause state; root cause time; direction; ip; port; first flow; root
//	  cause flow (flow numbers are 0-based positions in the host's
//	  time-sorted flows); root cause in words; flows in words (each flow
//	  of the window described by the encoder, " | " between them). A
//	  symbol never seen in training is written unseen:<what it was> in
//	  the trace.
//	root_cause_S_connection_info.csv: direction; ip; port; number of times
//	  flagged as root cause; first time seen
//
// and, over all states, root_cause_connections.csv: the same columns for
// every connection ranked by evidence (see Rank), then root-cause flows;
// evidence; max surprise; new peer; new port; root cause state;
// incidents.csv (see IncidentsFile); and, when the bounds left something
// out, LeftOutFile.
//
// ';'-separated with a header. Report files of an earlier run are removed
// first, so the folder reflects this run. Each file is written atomically.
// It stops when ctx is done.
func WriteReports(ctx context.Context, dir string, r Report) error {
	if err := RemoveReports(dir); err != nil {
		return err
	}
	if err := writeStateRows(ctx, dir, &r); err != nil {
		return err
	}
	for _, sr := range r.States {
		conns := make([]connectionInfo, 0, len(sr.Connections))
		for _, c := range sr.Connections {
			conns = append(conns, connectionInfo{c.Direction.String(), c.Peer.String(), c.Port, c.Count, isoTime(c.FirstSeen)})
		}
		if err := WriteCSV(filepath.Join(dir, connectionInfoFile(sr.State)), &conns); err != nil {
			return err
		}
	}
	if len(r.Connections) == 0 {
		return nil
	}
	if err := writeRanking(dir, r.Connections); err != nil {
		return err
	}
	if err := writeIncidents(dir, r.Incidents); err != nil {
		return err
	}
	if len(r.LeftOut) > 0 {
		return writeLeftOut(dir, r.LeftOut)
	}
	return ctx.Err()
}

// SummaryRow is one monitored host in summary.csv.
type SummaryRow struct {
	Service       string
	Model         string
	Traces        int
	Anomalies     int
	Threshold     float64
	TopState      string
	TopConnection ConnectionStat // zero when none
	TopIncident   string         // the summary of the host's first incident
	Error         string
	Span          Span // when its first and last judged flows started
}

// SummaryOf returns the summary row of a host judged by model's unit with
// report rep, or that failed with err: run and watch write it alike.
func SummaryOf(service, model string, rep *Report, err error) SummaryRow {
	row := SummaryRow{Service: service, Model: model}
	if err != nil {
		row.Error = err.Error()
		return row
	}
	row.Traces, row.Anomalies, row.Threshold, row.Span = rep.Traces, rep.Anomalies, rep.Threshold.Value, rep.Span
	if c, state, ok := rep.Top(); ok {
		row.TopState, row.TopConnection = fmt.Sprint(state), c
	}
	if len(rep.Incidents) > 0 {
		row.TopIncident = rep.Incidents[0].Summary
	}
	return row
}

type summaryCSV struct {
	Service   string `csv:"service"`
	Traces    int    `csv:"traces"`
	Anomalies int    `csv:"anomalies"`
	Threshold string `csv:"threshold"`
	TopState  string `csv:"top root cause"`
	Model     string `csv:"model"`
	Direction string `csv:"top connection direction"`
	IP        string `csv:"top connection ip"`
	Port      string `csv:"top connection port"`
	Count     string `csv:"top connection count"`
	FirstSeen string `csv:"top connection first seen"`
	Error     string `csv:"error"`
	Incident  string `csv:"top incident"`
	First     string `csv:"first flow"`
	Last      string `csv:"last flow"`
}

// WriteSummary writes summary.csv: service; traces; anomalies; threshold;
// top root cause (the columns scripts of the original pipeline read, in
// their order); model; top connection direction; top connection ip; top
// connection port; top connection count; top connection first seen;
// error; top incident; first flow; last flow (when the first and the last
// flow judged started, UTC). Atomically.
func WriteSummary(path string, rows []SummaryRow) error {
	out := make([]summaryCSV, 0, len(rows))
	for _, r := range rows {
		s := summaryCSV{Service: r.Service, Model: r.Model, Traces: r.Traces, Anomalies: r.Anomalies, TopState: r.TopState, Error: r.Error, Incident: r.TopIncident}
		if r.Error == "" {
			s.Threshold = strconv.FormatFloat(r.Threshold, 'f', 4, 64)
		}
		if !r.Span.Empty() {
			s.First, s.Last = isoTime(r.Span.First), isoTime(r.Span.Last)
		}
		if c := r.TopConnection; c.Count > 0 {
			s.Direction, s.IP, s.Port = c.Direction.String(), c.Peer.String(), strconv.Itoa(int(c.Port))
			s.Count, s.FirstSeen = strconv.Itoa(c.Count), isoTime(c.FirstSeen)
		}
		out = append(out, s)
	}
	return WriteCSV(path, &out)
}

// WriteCSV writes a slice of gocsv-tagged structs as a ';'-separated CSV,
// atomically.
func WriteCSV(path string, rows any) error {
	return atomicfile.Write(path, func(f *os.File) error { return marshalCSV(f, rows) })
}

func marshalCSV(w io.Writer, rows any) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := gocsv.MarshalCSV(rows, gocsv.NewSafeCSVWriter(cw)); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// abbadingo writes a window's symbols in Abbadingo form; a symbol never
// seen in training is named by what its flow was (when the flows are
// known).
func abbadingo(syms []int32, fl []flows.Features, names *Names) string {
	var b strings.Builder
	b.WriteString("0 ")
	b.WriteString(strconv.Itoa(len(syms)))
	name := names.Of(fl)
	for i, s := range syms {
		b.WriteByte(' ')
		b.WriteString(name(i, s))
	}
	return b.String()
}

func list(xs []int32) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(x)))
	}
	b.WriteByte(']')
	return b.String()
}

func floats(xs []float64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	}
	b.WriteByte(']')
	return b.String()
}
