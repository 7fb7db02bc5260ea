package live

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/htmlreport"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/rootcause"
)

// unitReport is what a unit's last refresh found, for summary.csv.
type unitReport struct {
	model string
	rep   rootcause.Report
	err   error
}

// refreshJob is a unit's folder to write, from a snapshot of its spool.
type refreshJob struct {
	u       *unit
	dir     string
	sn      snapshot
	m       *model.Model
	windows int
}

// Refresh writes the folder of every unit with windows since its last
// refresh, as run would have written it from the windows so far, switched
// in as one generation (see layout.Generation), then summary.csv. The
// spools are read while the monitor goes on.
func (e *Engine) Refresh() error {
	if e.cfg.MonitorRoot == "" {
		return nil
	}
	e.mu.Lock()
	var jobs []refreshJob
	for _, u := range e.units {
		if !u.dirty || u.sp == nil {
			continue
		}
		sn, err := u.sp.snapshot()
		if err != nil {
			e.mu.Unlock()
			return err
		}
		u.dirty = false
		jobs = append(jobs, refreshJob{u: u, dir: filepath.Join(e.cfg.MonitorRoot, u.spec.name), sn: sn, m: u.model.m, windows: int(sn.st.Sums)})
	}
	e.mu.Unlock()
	var errs []error
	for _, j := range jobs {
		rep, err := writeUnit(j, e.cfg.Top, e.cfg.IncidentGap)
		if err != nil {
			err = fmt.Errorf("%s: %w", j.u.spec.name, err)
			errs = append(errs, err)
		}
		e.mu.Lock()
		j.u.report = &unitReport{model: j.m.Unit, rep: rep, err: err}
		if err != nil {
			j.u.dirty = true // again next time
		}
		e.mu.Unlock()
	}
	e.mu.Lock()
	rows := make([]rootcause.SummaryRow, 0, len(e.units))
	for _, u := range e.units {
		switch r := u.report; {
		case r == nil:
			rows = append(rows, rootcause.SummaryOf(u.spec.name, u.model.m.Unit, nil, errors.New("no windows yet")))
		default:
			rows = append(rows, rootcause.SummaryOf(u.spec.name, r.model, &r.rep, r.err))
		}
	}
	e.mu.Unlock()
	// The summary and the HTML report are run's, from the folders as
	// they are now.
	if err := rootcause.WriteSummary(filepath.Join(e.cfg.MonitorRoot, outputs.SummaryFile), rows); err != nil {
		errs = append(errs, err)
	} else if err := htmlreport.Write(e.cfg.MonitorRoot, htmlreport.Options{}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// writeUnit writes one unit's folder: its predictions file copied from the
// spool (the bytes run writes), and the other outputs of run (root-cause
// reports, plot) from the outputs table, fed the spooled sums and the
// anomalies' report.
func writeUnit(j refreshJob, top int, gap time.Duration) (rootcause.Report, error) {
	if err := os.MkdirAll(j.dir, 0o755); err != nil {
		return rootcause.Report{}, err
	}
	table := outputs.Run(outputs.Options{})
	gen, err := layout.NewGeneration(j.dir, outputs.Owns(table))
	if err != nil {
		return rootcause.Report{}, err
	}
	defer gen.Abort()
	size, crc := j.sn.st.PredictionsSize, j.sn.st.PredictionsCRC
	if err := copyPrefix(filepath.Join(j.sn.dir, spoolPredictions), filepath.Join(gen.Dir(), outputs.MonitorPredictionsFile), size); err != nil {
		return rootcause.Report{}, err
	}
	anomalies, err := j.sn.anomalies()
	if err != nil {
		return rootcause.Report{}, err
	}
	sums, err := j.sn.sums()
	if err != nil {
		return rootcause.Report{}, err
	}
	rep := rootcause.Analyze(j.u.spec.name, j.windows, j.m, anomalies, top, gap)
	// The anomalies name their symbols by the spool's numbering (models
	// may have changed since some were judged).
	named := *j.m
	named.Encoder = namedEncoder{Encoder: j.m.Encoder, names: j.sn.names}
	var sinks outputs.Sinks
	defer func() { sinks.Abort() }()
	for _, o := range table {
		if o.Owns(outputs.MonitorPredictionsFile) {
			continue // copied from the spool
		}
		s, err := o.Open(outputs.Unit{Name: j.u.spec.name, Dir: gen.Dir(), Model: &named})
		if err != nil {
			return rep, fmt.Errorf("%s: %w", o.Name, err)
		}
		sinks = append(sinks, s)
	}
	var w detector.Window
	for _, s := range sums {
		w.Start, w.Score.Sum, w.Anomalous = s.start, s.sum, s.anomalous
		w.Cause.Start = s.start // an alarm's is where it is drawn
		if err := sinks.Window(&w); err != nil {
			return rep, err
		}
	}
	if err := sinks.Close(outputs.End{Model: &named, Windows: j.windows, Anomalies: len(anomalies), Report: &rep}); err != nil {
		return rep, err
	}
	sumsOut := append(sinks.Sums(), layout.Sum(outputs.MonitorPredictionsFile, size, crc))
	return rep, gen.Commit("watch", sumsOut)
}

// copyPrefix writes the first n bytes of src to dst, atomically (on Linux
// the kernel copies them: copy_file_range).
func copyPrefix(src, dst string, n int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.Write(dst, func(out *os.File) error {
		got, err := io.Copy(out, io.LimitReader(in, n))
		if err == nil && got != n {
			err = fmt.Errorf("%s: %d bytes, want %d", src, got, n)
		}
		return err
	})
}

func statFile(path string) (os.FileInfo, error) { return os.Stat(path) }
