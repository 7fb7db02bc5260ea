// Package htmlreport writes a finished run's report for an analyst: one
// self-contained HTML page (report.html in the monitor folder) that opens
// with the incidents of every host, ranked by evidence (what happened,
// where, since when, why it is unusual, what to do next, and what an
// analyst said of it: tags and silences, see package triage), then the
// hosts, each with its plot, incidents, the connections behind its alarms
// (a scan is one row) and its alarm windows.
//
// The page is made from the files a run leaves in the monitor folder
// (summary.csv, and in each host's folder the plot, incidents.csv,
// root_cause_connections.csv and the root-cause files), read with the
// schemas their writers use, so it can be made for any finished run.
// Everything it shows is inline: plots as data: URIs, style in the page,
// no script, and a content security policy that forbids loading anything
// else. Text from the files is escaped (html/template). The same folder
// gives the same page byte for byte, but for silences, which are active or
// not at the time the page is made.
//
// Served live (package console), the same page gets a form per incident to
// tag it, and a script of the server's own that posts the forms to its API
// and reloads the page when the folder changes.
package htmlreport

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/triage"
)

// Files the report reads and writes; the run's are named by package
// outputs.
const (
	// File is the report's name in the monitor folder.
	File = "report.html"
	// SummaryFile is the run's summary in the monitor folder.
	SummaryFile = outputs.SummaryFile
	// IncidentsFile is a service's incidents, in its folder, when the run
	// made them.
	IncidentsFile = "incidents.csv"
)

// pageText is the page's template.
//
//go:embed report.gohtml
var pageText string

var page = template.Must(template.New(File).Funcs(template.FuncMap{
	"thousands": thousands,
	"plural":    plural,
	"kindClass": func(kind string) string { return strings.ReplaceAll(kind, " ", "-") },
	"matchers":  Matchers,
	"until":     Until,
}).Parse(pageText))

// Options are the report's options. The zero value is usable.
type Options struct {
	// Title of the page; default "Monitor report".
	Title string
	// MaxConnections is how many connection rows (a scan or a fan-out is
	// one) are listed per host, most evidence first; default 15.
	MaxConnections int
	// MaxWindows is how many alarm windows are listed per host, in time
	// order; default 1000. The rest are in the root-cause files.
	MaxWindows int
	// MaxIncidents is how many incidents the first table shows before
	// the rest are folded away; default 40.
	MaxIncidents int
	// Now is when silences are judged active; zero: the time of the call.
	Now time.Time
	// Live makes the page served by monitor serve: a form to tag each
	// incident, and Script (the server's own, at that path) run by the
	// page.
	Live   bool
	Script string
	// Token, when set, is put in the page for its script to send as a
	// bearer token (serve with --token).
	Token string
}

// Validate refuses negative counts.
func (o Options) Validate() error {
	if o.MaxConnections < 0 || o.MaxWindows < 0 || o.MaxIncidents < 0 {
		return fmt.Errorf("report: negative MaxConnections, MaxWindows or MaxIncidents (%d, %d, %d)", o.MaxConnections, o.MaxWindows, o.MaxIncidents)
	}
	if o.Live && o.Script == "" {
		return errors.New("report: a live page needs its Script's path")
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Title == "" {
		o.Title = "Monitor report"
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = 15
	}
	if o.MaxWindows == 0 {
		o.MaxWindows = 1000
	}
	if o.MaxIncidents == 0 {
		o.MaxIncidents = 40
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o
}

// Write writes the report of the run in monitorRoot to
// monitorRoot/report.html, atomically. It fails when the folder has no
// summary.csv (no finished run) or the report cannot be written; a
// host's file that cannot be read is named on the page, in that host's
// section, and does not stop the report; nor do tags or silences that
// cannot be read, which the page names at its top.
func Write(monitorRoot string, o Options) error {
	var buf bytes.Buffer
	if err := Render(&buf, monitorRoot, o); err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(monitorRoot, File), buf.Bytes())
}

// Render writes the report of the run in monitorRoot to w.
func Render(w io.Writer, monitorRoot string, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	p, err := build(monitorRoot, o.withDefaults())
	if err != nil {
		return err
	}
	if err := page.Execute(w, p); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// report is what the page shows.
type report struct {
	Title, Folder string
	Live          bool
	Script, Token string
	Labels        []triage.Label
	Problems      []string // tags or silences that could not be read

	Incidents     []*incidentRow // across hosts, most evidence first, not silenced
	MoreIncidents []*incidentRow // past MaxIncidents
	Silenced      []*incidentRow
	From, Until   string // the earliest first seen and latest last seen of the incidents
	// DataFrom and DataUntil are when the first and the last judged flow
	// of any host started (summary.csv's first flow and last flow).
	DataFrom, DataUntil string
	Alarms              int // alarm windows over all hosts
	Windows             int

	Services []*service
}

// TotalIncidents counts every incident, silenced ones too.
func (r *report) TotalIncidents() int {
	return len(r.Incidents) + len(r.MoreIncidents) + len(r.Silenced)
}

// build reads the run: summary.csv names the hosts, each host's folder
// gives its section, and their incidents with the triage make the first
// table.
func build(root string, o Options) (*report, error) {
	sum, err := readTable(root, SummaryFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("report: no %s in %s: the folder has no finished run", SummaryFile, root)
	}
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", root, err)
	}
	svcCol := sum.col("service")
	if svcCol < 0 {
		return nil, fmt.Errorf("report: %s in %s has no column \"service\"", SummaryFile, root)
	}
	folder := root
	if abs, err := filepath.Abs(root); err == nil {
		folder = abs
	}
	r := &report{Title: o.Title, Folder: filepath.Base(folder), Live: o.Live, Script: o.Script, Token: o.Token, Labels: triage.Labels()}
	st, err := triage.Load(root)
	if err != nil {
		r.Problems = append(r.Problems, relative(root, err).Error()+" (tags and silences are not shown)")
		st = &triage.Store{}
	}
	col := func(row []string, name string) string { return get(row, sum.col(name)) }
	var all []*incidentRow
	for i, row := range sum.rows {
		s := &service{
			ID:          fmt.Sprintf("s%d", i+1),
			Name:        get(row, svcCol),
			Traces:      col(row, "traces"),
			Anomalies:   col(row, "anomalies"),
			Threshold:   col(row, "threshold"),
			Model:       col(row, "model"),
			Error:       col(row, "error"),
			TopState:    col(row, "top root cause"),
			TopIncident: col(row, "top incident"),
		}
		s.alarms, _ = strconv.Atoi(s.Anomalies)
		if first, last := col(row, "first flow"), col(row, "last flow"); first != "" && last != "" {
			if r.DataFrom == "" || first < r.DataFrom {
				r.DataFrom = first
			}
			if last > r.DataUntil {
				r.DataUntil = last
			}
		}
		s.traces, _ = strconv.Atoi(s.Traces)
		r.Alarms += s.alarms
		r.Windows += s.traces
		if s.Error == "" {
			s.Reported = true
			s.read(root, o, st)
			all = append(all, s.incidents...)
		}
		r.Services = append(r.Services, s)
	}
	for _, in := range all {
		in.Live = o.Live
	}
	r.rank(all, o.MaxIncidents)
	if r.DataFrom != "" {
		r.DataFrom, r.DataUntil = shortTime(r.DataFrom), shortTime(r.DataUntil)
	}
	return r, nil
}

// plural says how many: "1 incident", "3 incidents".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(n) + " " + word + "s"
}

// thousands prints n with a comma between thousands: 1,057.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
