package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/htmlreport"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/netflow-monitor/monitor/rootcause"
)

// unitReport is what a unit's last refresh found, for summary.csv.
type unitReport struct {
	model string
	rep   rootcause.Report
	err   error
}

// refreshJob is a unit's folder to write: a snapshot of its spool, and
// of its report and plot as its windows so far make them.
type refreshJob struct {
	u       *unit
	dir     string
	sp      *spool
	sn      snapshot
	m       *model.Model
	rep     rootcause.Report
	series  *plots.Series
	windows int
}

// Refresh writes the folder of every unit with windows since its last
// refresh, as run would have written it from the windows so far, switched
// in as one generation (see layout.Generation), then summary.csv. What
// the reports keep is copied while the monitor waits (it is bounded, see
// rootcause.Bounds); the files are written while it goes on. It stops
// when ctx is done.
func (e *Engine) Refresh(ctx context.Context) error {
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
		jobs = append(jobs, refreshJob{u: u, dir: filepath.Join(e.cfg.MonitorRoot, u.spec.name), sp: u.sp, sn: sn, m: u.model.m,
			rep: u.b.Report(e.cfg.Top), series: u.series.Clone(), windows: int(sn.st.Windows)})
	}
	e.mu.Unlock()
	var errs []error
	for _, j := range jobs {
		err := writeUnit(ctx, j)
		if err != nil {
			err = fmt.Errorf("%s: %w", j.u.spec.name, err)
			errs = append(errs, err)
		}
		e.mu.Lock()
		j.rep.Rows = nil
		j.u.report = &unitReport{model: j.m.Unit, rep: j.rep, err: err}
		if err != nil {
			j.u.dirty = true // again next time
		} else if j.u.sp == j.sp {
			j.sp.commit(j.sn.st) // else the unit went to another member meanwhile
		}
		e.mu.Unlock()
	}
	if err := ctx.Err(); err != nil {
		return errors.Join(append(errs, err)...)
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

// writeUnit writes one unit's folder: its predictions file from the
// folder's and the spool's rows (the bytes run writes), and the other
// outputs of run (root-cause reports, plot) from the outputs table, given
// the report and the plot's series.
func writeUnit(ctx context.Context, j refreshJob) error {
	if err := os.MkdirAll(j.dir, 0o755); err != nil {
		return err
	}
	table := outputs.Run(outputs.Options{})
	gen, err := layout.NewGeneration(j.dir, outputs.Owns(table))
	if err != nil {
		return err
	}
	defer gen.Abort()
	err = atomicfile.Write(filepath.Join(gen.Dir(), outputs.MonitorPredictionsFile), func(f *os.File) error {
		return j.sn.writePredictions(ctx, f)
	})
	if err != nil {
		return err
	}
	samples, err := os.Open(filepath.Join(j.sn.dir, spoolSamples))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer samples.Close()
	j.rep.Rows = samples
	var sinks outputs.Sinks
	defer func() { sinks.Abort() }()
	for _, o := range table {
		if o.Owns(outputs.MonitorPredictionsFile) {
			continue // written above
		}
		s, err := o.Open(outputs.Unit{Name: j.u.spec.name, Dir: gen.Dir(), Model: j.m})
		if err != nil {
			return fmt.Errorf("%s: %w", o.Name, err)
		}
		sinks = append(sinks, s)
	}
	if err := sinks.Close(ctx, outputs.End{Model: j.m, Windows: j.windows, Anomalies: j.rep.Anomalies, Report: &j.rep, Series: j.series}); err != nil {
		return err
	}
	sums := append(sinks.Sums(), layout.Sum(outputs.MonitorPredictionsFile, j.sn.st.PredictionsSize, j.sn.st.PredictionsCRC))
	return gen.Commit("watch", sums)
}

func statFile(path string) (os.FileInfo, error) { return os.Stat(path) }
