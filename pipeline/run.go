package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/htmlreport"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/rootcause"
)

const runSteps = 3

// RunResult is one monitored host's outcome.
type RunResult struct {
	Host    string
	Model   string // the unit whose model judged the host
	Flows   int
	Skipped int
	Foreign int
	Window  int // the model's window: with fewer Flows, the one trace is short
	Report  rootcause.Report
	// Warnings say what a user should know about the host's folder
	// (previous outputs that could not be removed).
	Warnings []string
	Err      error
}

// Run scores every monitored host under c.MonitorRoot with its model (its
// own, or c.Model's for all), writes each host's predictions, root-cause
// reports and plot into its monitor folder, and summary.csv at the top of
// the monitor folder. Hosts run in parallel; a failing host has Err set and
// its summary row says why.
func Run(ctx context.Context, c Config) ([]RunResult, []layout.Skipped, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	hosts, skipped, err := selectUnits(c.MonitorRoot, c.Services, nil)
	// A host folder that is a link fails as a host when all are run, as
	// train fails such a unit: nothing is written through it.
	var broken []layout.Skipped
	if len(c.Services) == 0 {
		skipped, broken = brokenUnits(skipped)
	}
	if err != nil && len(broken) == 0 {
		return nil, skipped, err
	}
	var groups []layout.Unit
	for _, h := range hosts {
		if h.IsGroup() {
			groups = append(groups, h)
		}
	}
	if len(groups) > 0 {
		// Monitor folders are per host; a group folder there is a mistake.
		for _, g := range groups {
			skipped = append(skipped, layout.Skipped{Name: g.Name, Reason: errors.New("group folders are not monitored; monitor each host")})
		}
		hosts = servicesOnly(hosts)
	}
	// A service trained but without a monitor folder has no monitor data:
	// it is reported, as an empty monitor file is.
	var unmonitored map[string]bool
	if c.Model == "" && len(c.Services) == 0 {
		hosts, unmonitored = addTrainedServices(c.TrainRoot, hosts, broken)
	}
	// Which unit's model judges each host is decided in one place (see
	// layout.Judges), as watch, route and evaluate decide it.
	judges, err := layout.NewJudges(c.TrainRoot, c.Model)
	if err != nil {
		return nil, skipped, err
	}
	var shared *model.Model
	if c.Model != "" {
		if terr, ok := c.Untrained[c.Model]; ok {
			return nil, skipped, fmt.Errorf("--model %s: its training failed: %w", c.Model, terr)
		}
		var path string
		if shared, path, err = model.LoadUnit(c.TrainRoot, c.Model); errors.Is(err, fs.ErrNotExist) {
			return nil, skipped, fmt.Errorf("--model %s: %s does not exist (train it with monitor train)", c.Model, path)
		} else if err != nil {
			return nil, skipped, fmt.Errorf("--model %s: %w", c.Model, err)
		}
	}
	if c.Progress != nil {
		c.Progress.Total(len(hosts) * runSteps)
	}
	results := make([]RunResult, len(hosts))
	for i, h := range hosts {
		results[i] = RunResult{Host: h.Name, Err: ErrNotStarted} // until it runs
	}
	order := largestFirst(hosts, func(u layout.Unit) string { return layout.MonitorFile(c.MonitorRoot, u) })
	err = forEach(ctx, c.Workers, order, func(ctx context.Context, i int) {
		h := hosts[i]
		r := RunResult{Host: h.Name}
		defer func() {
			// The folder must not show an earlier run's results next to
			// this run's failure, nor a mix of both. A run stopped (Ctrl-C,
			// SIGTERM) failed nothing: the folder keeps its last complete
			// run.
			if r.Err != nil && !stopped(ctx, r.Err) {
				r.Err = clearOutputs(layout.Dir(c.MonitorRoot, h), outputs.Run(c.outputs()), r.Err)
			}
			results[i] = r
		}()
		m := shared
		if m == nil {
			unit, lerr := judges.Unit(h.Addr)
			terr, untrained := c.Untrained[unit]
			switch {
			case lerr != nil:
			case unmonitored[h.Name]:
				lerr = fmt.Errorf("no monitor data for %s: it has a model in %s but no folder in %s", h.Name, c.TrainRoot, c.MonitorRoot)
			case untrained && unit == h.Name:
				lerr = fmt.Errorf("not monitored: its training failed: %w", terr)
			case untrained:
				lerr = fmt.Errorf("not monitored: the training of its group %s failed: %w", unit, terr)
			default:
				m, lerr = loadJudge(c.TrainRoot, h.Name, unit)
			}
			if lerr != nil {
				r.Err = lerr
				for range runSteps {
					c.step()
				}
				return
			}
		}
		r.Model, r.Window = m.Unit, m.Window
		r.Err = runHost(ctx, &c, h, m, &r)
	})
	for _, b := range broken {
		results = append(results, RunResult{Host: b.Name, Err: b.Reason})
	}
	if err != nil {
		return results, skipped, err
	}
	if werr := rootcause.WriteSummary(filepath.Join(c.MonitorRoot, outputs.SummaryFile), summaryRows(results)); werr != nil {
		return results, skipped, werr
	}
	// The report shows the run as the summary and the folders have it.
	if werr := htmlreport.Write(c.MonitorRoot, htmlreport.Options{}); werr != nil {
		return results, skipped, werr
	}
	return results, skipped, nil
}

// addTrainedServices adds to hosts (services sorted by address, as
// layout.Discover lists them) the services that have a model under
// trainRoot but no folder among hosts nor among broken (folders that
// fail as they are), and returns their names. A train folder that cannot
// be listed adds none: loading models reports it.
func addTrainedServices(trainRoot string, hosts []layout.Unit, broken []layout.Skipped) ([]layout.Unit, map[string]bool) {
	trained, _, err := layout.Discover(trainRoot)
	if err != nil {
		return hosts, nil
	}
	added := map[string]bool{}
	for _, u := range servicesOnly(trained) {
		if slices.ContainsFunc(hosts, func(h layout.Unit) bool { return h.Addr == u.Addr }) ||
			slices.ContainsFunc(broken, func(b layout.Skipped) bool { return b.Name == u.Name }) {
			continue
		}
		if _, err := os.Stat(filepath.Join(layout.Dir(trainRoot, u), layout.ModelFile)); err != nil {
			continue
		}
		hosts = append(hosts, u)
		added[u.Name] = true
	}
	if len(added) > 0 {
		slices.SortStableFunc(hosts, func(a, b layout.Unit) int { return a.Addr.Compare(b.Addr) })
	}
	return hosts, added
}

func runHost(ctx context.Context, c *Config, u layout.Unit, m *model.Model, r *RunResult) (err error) {
	done := 0
	defer func() {
		for ; done < runSteps; done++ {
			c.step()
		}
	}()
	step := func() { done++; c.step() }

	// The outputs are written as a new generation of the host's folder,
	// switched in whole at the end (see layout.Generation).
	gen, err := layout.NewGeneration(layout.Dir(c.MonitorRoot, u), outputs.Owns(outputs.Run(c.outputs())))
	if err != nil {
		return err
	}
	defer gen.Abort()
	path := layout.MonitorFile(c.MonitorRoot, u)
	// Flows are streamed in file order, which is time order for nearly
	// every file; a file that is not is read whole and sorted instead.
	sums, err := scoreHost(ctx, c, u, m, gen.Dir(), r, func(fn func(*flows.Flow) error) (int, error) {
		return streamOrdered(ctx, path, c, u.Addr, fn)
	})
	if errors.Is(err, errUnordered) {
		sums, err = scoreHost(ctx, c, u, m, gen.Dir(), r, func(fn func(*flows.Flow) error) (int, error) {
			return readSorted(ctx, path, c, fn)
		})
	}
	if err != nil {
		return err
	}
	step()
	if err := gen.Commit("run", sums); err != nil {
		return err
	}
	if l := gen.Leftover(); l != nil {
		r.Warnings = append(r.Warnings, l.Error())
	}
	step()
	return nil
}

// scoreHost feeds the flows that feed gives it to a detector of the host,
// hands every window to the run's outputs, written into dir, and closes
// them with the host's report. It returns the sums of the outputs that
// were summed as they were written.
func scoreHost(ctx context.Context, c *Config, u layout.Unit, m *model.Model, dir string, r *RunResult, feed func(func(*flows.Flow) error) (int, error)) ([]layout.FileSum, error) {
	sinks, err := outputs.Open(outputs.Run(c.outputs()), outputs.Unit{Name: u.Name, Dir: dir, Model: m})
	if err != nil {
		return nil, err
	}
	defer sinks.Abort()
	// The per-state reports' rows wait in a file of the new generation
	// until the top states are known; it is gone before the generation
	// is committed (and a killed run's generation is removed whole).
	rows, err := os.CreateTemp(dir, ".report-rows-*")
	if err != nil {
		return nil, fmt.Errorf("report rows: %w", err)
	}
	defer func() {
		rows.Close()
		os.Remove(rows.Name())
	}()
	// The report is made as the windows come, keeping what it reports
	// (see rootcause.Bounds): nothing is kept of a window once its files
	// have it.
	b := rootcause.NewBuilder(u.Name, m, rootcause.IncidentModel(m, ""), c.IncidentGap, c.Bounds, rows)
	d := detector.New(m, u.Addr)
	add := func(w *detector.Window) error {
		if w == nil {
			return nil
		}
		if _, err := b.Window(w); err != nil {
			return err
		}
		return sinks.Window(w)
	}
	skipped, err := feed(func(f *flows.Flow) error { return add(d.Add(f)) })
	if err != nil {
		return nil, err
	}
	r.Flows, r.Foreign, r.Skipped = d.Flows(), d.Foreign(), skipped
	if d.Flows() == 0 {
		return nil, fmt.Errorf("%s: no monitor data for %s", layout.MonitorFile(c.MonitorRoot, u), u.Name)
	}
	if err := add(d.End()); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.End()
	r.Report = b.Report(c.Top)
	r.Report.Rows = rows
	err = sinks.Close(ctx, outputs.End{Model: m, Windows: d.Windows(), Anomalies: b.Anomalies(), Report: &r.Report})
	r.Report.Rows = nil // removed below
	if err != nil {
		return nil, err
	}
	return sinks.Sums(), nil
}

// errUnordered stops streamOrdered at a flow that starts before the one
// before it.
var errUnordered = errors.New("flows not in time order")

// streamOrdered streams the flows of path to fn in file order, in memory
// bounded by one flow; it stops with errUnordered at the first flow of
// host that starts before the previous one. It returns the number of bad
// rows skipped.
func streamOrdered(ctx context.Context, path string, c *Config, host netip.Addr, fn func(*flows.Flow) error) (int, error) {
	dec, closer, err := flows.Open(ctx, path, c.Format, c.decodeOptions())
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	last := int64(math.MinInt64)
	var f flows.Flow
	for n := 0; ; n++ {
		if n&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return dec.Skipped(), err
			}
		}
		err := dec.Next(&f)
		if errors.Is(err, io.EOF) {
			return dec.Skipped(), nil
		}
		if err != nil {
			return dec.Skipped(), err
		}
		if f.Src == host || f.Dst == host {
			if f.Start < last {
				return dec.Skipped(), errUnordered
			}
			last = f.Start
		}
		if err := fn(&f); err != nil {
			return dec.Skipped(), err
		}
	}
}

// readSorted reads every flow of path, sorts them by start time (stably)
// and gives them to fn in that order.
func readSorted(ctx context.Context, path string, c *Config, fn func(*flows.Flow) error) (int, error) {
	all, skipped, err := readFlows(ctx, path, c)
	if err != nil {
		return 0, err
	}
	flows.SortByStart(all)
	for i := range all {
		if err := fn(&all[i]); err != nil {
			return skipped, err
		}
	}
	return skipped, nil
}

func summaryRows(results []RunResult) []rootcause.SummaryRow {
	rows := make([]rootcause.SummaryRow, 0, len(results))
	for _, r := range results {
		rows = append(rows, rootcause.SummaryOf(r.Host, r.Model, &r.Report, r.Err))
	}
	return rows
}

// stopped reports whether err is the end of a command that was stopped
// rather than a failure: its context is done, or err says it was.
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// clearOutputs removes the outputs of table from a unit folder as one
// change, a generation without them, after the host failed with cause,
// and returns the host's error. A folder that cannot be written (see
// layout.CannotWrite: a permission, a full or read-only file system), or
// that is gone, is never changed: it keeps the complete outputs of its
// last run, which the error then says.
func clearOutputs(dir string, table []outputs.Output, cause error) error {
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return cause // gone, or a link: nothing to clear, nothing written through it
	}
	if layout.CannotWrite(cause) {
		return fmt.Errorf("%w; its folder keeps the outputs of its last complete run", cause)
	}
	gen, err := layout.NewGeneration(dir, outputs.Owns(table))
	if err == nil {
		err = gen.Commit("run", nil)
	}
	if err != nil {
		return fmt.Errorf("%w; its folder keeps the outputs of its last complete run (they could not be cleared: %w)", cause, err)
	}
	return cause
}

// loadJudge loads the model of unit, which judges host: a model copied
// from another unit's folder would judge host by another service's
// traffic, so it is used only on request (--model).
func loadJudge(trainRoot, host, unit string) (*model.Model, error) {
	m, path, err := model.LoadUnit(trainRoot, unit)
	var owner *model.OwnerError
	switch {
	case errors.As(err, &owner):
		return nil, fmt.Errorf("%w: train %s, or pass --model %s to judge it by that model", err, unit, owner.Owner)
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no model for %s: %s does not exist (train it with monitor train, or judge it by another unit's model with --model)", host, path)
	case err != nil && path == "":
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("no usable model for %s (train it, or pick one with --model): %w", host, err)
	}
	return m, nil
}
