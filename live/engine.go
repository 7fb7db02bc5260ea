// Package live is the live monitor behind "monitor watch" and "monitor
// route": it routes flows as they come to the units whose host is their
// source or destination (split's rule), puts each unit's flows in
// start-time order (package stream), judges them with the detector core
// that run uses (package detector), turns anomalous windows into incidents
// and alerts (package incident), refreshes each unit's folder with the
// files run writes (packages outputs and layout), saves checkpoints from
// which a restart or a new owner of a Kafka partition goes on, reloads a
// unit's model when train replaces it, and counts what it does as
// Prometheus metrics.
//
// The same flows in the same order give the same windows, scores,
// verdicts, root causes and incidents as run: at the end of a finite
// input, the unit folders, summary.csv and report.html are run's, byte
// for byte, and the alerts closing incidents are the rows of run's
// incidents.csv. Sources (standard input, files, folders, Kafka) and alert
// sinks (standard output, files, Kafka) are drivers behind one interface
// each (Source, AlertSink), every blocking call taking a context; each
// alert goes out once across crashes, restarts and rebalances.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/netflow-monitor/monitor/rootcause"
	"github.com/netflow-monitor/monitor/stream"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what a live monitor is told.
type Config struct {
	TrainRoot string
	// MonitorRoot is where the units' folders are refreshed; "" writes
	// none (alerts only).
	MonitorRoot string
	// StateDir holds the spools and checkpoints; default
	// MonitorRoot/.watch. With neither, nothing is saved and a restart
	// starts afresh.
	StateDir string
	Services []netip.Addr // only these hosts
	Model    string       // judge every host by this unit's model (a group or a service)
	// MaxLateness bounds how late (in event time) a flow may come and
	// still be put in order; MaxBuffered bounds the flows a unit holds.
	MaxLateness time.Duration
	MaxBuffered int
	// IncidentGap: anomalous windows closer than this in event time join
	// one incident.
	IncidentGap time.Duration
	// IdleTimeout is how long (wall clock) a source (a file, a
	// partition, one of route's partitions behind a unit) may bring no
	// flow before it holds its units' event time back no more, and a unit
	// may get no flow before its incidents close without waiting for its
	// unfinished window; 0: 3 × MaxLateness, at least 10 s.
	IdleTimeout     time.Duration
	ReportEvery     time.Duration // 0: only at the end of the input
	CheckpointEvery time.Duration
	ModelPoll       time.Duration // how often model files are looked at
	// ShutdownTimeout bounds what a stopping monitor still does (its
	// last checkpoint, flushing alerts, leaving its consumer group),
	// whatever its disk or broker does; 0: 10 s.
	ShutdownTimeout time.Duration
	Top             int // root-cause states in the reports
	// Bounds are how much of each unit's alarms its reports keep (zero
	// fields: rootcause.DefaultBounds), as run's.
	Bounds rootcause.Bounds
	// Log reports what the monitor does on its own (late flows, model
	// reloads, bad input).
	Log func(format string, args ...any)
	// Annotate, when set, adds to each alert before it is sent what is
	// known of its incident beyond the detection (an analyst's tag, the
	// silences that mute it: see package triage).
	Annotate func(a *incident.Alert)
}

// DefaultConfig returns the defaults of watch's flags.
func DefaultConfig() Config {
	return Config{
		TrainRoot: "train_data", MonitorRoot: "monitor_data", MaxLateness: 60 * time.Second, MaxBuffered: 1 << 17,
		IncidentGap: 10 * time.Minute, ReportEvery: time.Minute, CheckpointEvery: 5 * time.Second, ModelPoll: 2 * time.Second, Top: 10,
	}
}

// Validate checks the settings.
func (c *Config) Validate() error {
	switch {
	case c.TrainRoot == "":
		return errors.New("no train folder")
	case c.MaxLateness < 0:
		return fmt.Errorf("max lateness %v: must be >= 0", c.MaxLateness)
	case c.MaxBuffered < 1:
		return fmt.Errorf("max buffered %d: must be >= 1", c.MaxBuffered)
	case c.IncidentGap < 0:
		return fmt.Errorf("incident gap %v: must be >= 0", c.IncidentGap)
	case c.IdleTimeout < 0:
		return fmt.Errorf("idle timeout %v: must be >= 0 (0: 3 × max lateness)", c.IdleTimeout)
	case c.ReportEvery < 0 || c.CheckpointEvery < 0 || c.ModelPoll < 0 || c.ShutdownTimeout < 0:
		return errors.New("report, checkpoint and model poll periods must be >= 0")
	case c.Top < 1:
		return fmt.Errorf("top %d: must be >= 1", c.Top)
	}
	if err := c.Bounds.Validate(); err != nil {
		return err
	}
	return nil
}

// shutdown returns the shutdown timeout (see ShutdownTimeout).
func (c *Config) shutdown() time.Duration {
	if c.ShutdownTimeout > 0 {
		return c.ShutdownTimeout
	}
	return 10 * time.Second
}

// idle returns the idle timeout (see IdleTimeout).
func (c *Config) idle() time.Duration {
	if c.IdleTimeout > 0 {
		return c.IdleTimeout
	}
	return max(3*c.MaxLateness, 10*time.Second)
}

// StateFolder returns the folder of the spools and checkpoints: StateDir,
// or .watch in the monitor folder; "" for none.
func (c *Config) StateFolder() string { return c.stateDir() }

func (c *Config) stateDir() string {
	if c.StateDir != "" {
		return c.StateDir
	}
	if c.MonitorRoot != "" {
		return filepath.Join(c.MonitorRoot, ".watch")
	}
	return ""
}

// domain is one stream whose order is its own (a file, a Kafka
// partition), with its event time.
type domain struct {
	name string
	wm   stream.Watermark
	pos  stream.Position // a local source's place after its last flow
	// seen is when (wall clock) the domain last brought a flow: a domain
	// quiet for longer than the idle timeout holds its event time back
	// no more.
	seen time.Time
}

// unit is one watched host.
type unit struct {
	spec  unitSpec
	model *loaded
	det   *detector.Detector
	buf   *stream.Reorder
	// b makes the unit's report as its windows come (what the folder
	// refreshes write) and follows its incidents (what alerts say).
	b *rootcause.Builder
	// series is the plot's: every window's score, bounded.
	series  *plots.Series
	sp      *spool
	dom     *domain // the domain its flows come from
	late    int64
	windows int
	anoms   int
	dirty   bool // windows since the last refresh
	scratch flows.Flow
	report  *unitReport // its last refresh
	// seen is, per input partition of route, the offset there of the
	// last routed flow given to the unit: a flow routed twice is seen once.
	seen map[int32]int64
	// skip is, per partition, the offset below which records are in the
	// state the unit was restored from (Kafka).
	skip map[int32]int64
	// sources is, for a unit fed by route, the latest start seen from
	// each of route's input partitions: its event time is the earliest of
	// them (less the lateness), as each partition is in order on its own
	// but route interleaves them as it reads them.
	sources map[int32]int64
	// sourceSeen is when (wall clock) each of those last brought a flow.
	sourceSeen map[int32]time.Time
	// arrived is when (wall clock) its last flow came.
	arrived time.Time
	// its metrics
	mAnom, mLate prometheus.Counter
	mOpen        prometheus.Gauge
}

// watermark returns u's event time: its domain's, or for a unit fed by
// route, the earliest of its sources'. Sources quiet (wall clock) for
// longer than idle hold it back no more: of a domain that went quiet, the
// latest start seen is the event time, and the earliest of a routed
// unit's sources counts only those that still bring flows (all of them,
// when none does, at the latest start seen).
func (u *unit) watermark(lateness int64, idle time.Duration, now time.Time) int64 {
	if u.sources == nil {
		if idle > 0 && !u.dom.seen.IsZero() && now.Sub(u.dom.seen) > idle {
			return u.dom.wm.Max
		}
		return u.dom.wm.Now()
	}
	wm, latest := int64(math.MaxInt64), int64(math.MinInt64)
	for p, m := range u.sources {
		latest = max(latest, m)
		if seen, ok := u.sourceSeen[p]; ok && idle > 0 && now.Sub(seen) > idle {
			continue
		}
		wm = min(wm, m)
	}
	if wm == math.MaxInt64 {
		return latest // every source quiet (or none yet)
	}
	return stream.Behind(wm, lateness)
}

// Engine is a running live monitor. Its methods are safe for concurrent
// use.
type Engine struct {
	cfg     Config
	mu      sync.Mutex
	units   []*unit
	byHost  map[netip.Addr]*unit
	byName  map[string]*unit
	local   domain // the domain of a local source
	alerts  AlertSink
	metrics *Metrics
	// suppress holds the identities of alerts sent after the checkpoint
	// restored: replaying the flows after it sends them again, and they
	// must go out once.
	// Each is kept with its domain, whose checkpoints carry it on.
	suppress map[string]string
	ended    bool
	// source is the local source's absolute path, or "-" for standard
	// input.
	source string
	// clock is the wall clock as last read (see now).
	clock time.Time
	// sinkCtx is what the alert sink's calls take: it ends
	// ShutdownTimeout after the run's context does.
	sinkCtx context.Context
}

// New starts a live monitor: it picks the units, loads their models, and
// makes their state (afresh: see Resume).
func New(cfg Config, alerts AlertSink, metrics *Metrics) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	if alerts == nil {
		alerts = discardAlerts{}
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	specs, err := selectUnits(&cfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, byHost: map[netip.Addr]*unit{}, byName: map[string]*unit{}, alerts: alerts, metrics: metrics, sinkCtx: context.Background(),
		local: domain{name: "local", wm: stream.NewWatermark(cfg.MaxLateness)}}
	models := map[string]*loaded{}
	for _, s := range specs {
		l := models[s.modelPath]
		if l == nil {
			if l, err = loadModel(s.modelPath, s.owner); err != nil {
				return nil, fmt.Errorf("no usable model for %s (train it, or pick one with --model): %w", s.name, err)
			}
			models[s.modelPath] = l
		}
		u := &unit{spec: s, model: l, dom: &e.local, mAnom: metrics.anomalies.WithLabelValues(s.name),
			mLate: metrics.late.WithLabelValues(s.name), mOpen: metrics.open.WithLabelValues(s.name)}
		e.reset(u)
		e.units = append(e.units, u)
		e.byHost[s.addr], e.byName[s.name] = u, u
	}
	return e, nil
}

// reset gives u a fresh state: no flows yet.
func (e *Engine) reset(u *unit) {
	u.det = detector.New(u.model.m, u.spec.addr)
	u.buf = stream.NewReorder(e.cfg.MaxBuffered)
	u.b = e.newBuilder(u)
	u.series = plots.NewSeries(0)
	u.late, u.windows, u.anoms, u.dirty, u.report, u.seen, u.skip, u.sources = 0, 0, 0, false, nil, nil, nil, nil
	if u.sp != nil {
		u.sp.close()
		u.sp = nil
	}
}

// newBuilder returns a builder of u's report, afresh; its rows go to u's
// spool (none when no folder is written).
func (e *Engine) newBuilder(u *unit) *rootcause.Builder {
	return rootcause.NewBuilder(u.spec.name, u.model.m, u.model.id, e.cfg.IncidentGap, e.cfg.Bounds, e.rowsOf(u))
}

// rowsOf returns where u's report rows go: its spool's store (nil, none,
// when no folder is written).
func (e *Engine) rowsOf(u *unit) io.Writer {
	if !e.spooling() {
		return nil
	}
	return unitRows{u}
}

// unitRows writes a unit's report rows to its spool.
type unitRows struct{ u *unit }

func (r unitRows) Write(p []byte) (int, error) {
	if r.u.sp == nil {
		return 0, errors.New("report rows: no spool")
	}
	return r.u.sp.rows().Write(p)
}

// Units returns the names of the units watched, sorted by address.
func (e *Engine) Units() []string {
	out := make([]string, len(e.units))
	for i, u := range e.units {
		out[i] = u.spec.name
	}
	return out
}

// openSpools opens the units' spools afresh (or at their checkpointed
// states, see Resume).
func (e *Engine) openSpools(states map[string]SpoolState) error {
	if !e.spooling() {
		return nil
	}
	for _, u := range e.units {
		if u.sp != nil {
			continue
		}
		st := states[u.spec.name]
		sp, err := openSpool(filepath.Join(e.cfg.stateDir(), "units", u.spec.name), e.unitFolderFile(u), st, u.model.m.Encoder)
		if err != nil {
			return err
		}
		u.sp = sp
	}
	return nil
}

// unitFolderFile is the predictions file of u's folder.
func (e *Engine) unitFolderFile(u *unit) string {
	return filepath.Join(e.cfg.MonitorRoot, u.spec.name, outputs.MonitorPredictionsFile)
}

// spooling reports whether units have spools: their folders are written.
func (e *Engine) spooling() bool { return e.cfg.MonitorRoot != "" && e.cfg.stateDir() != "" }

// freshSpool gives u an empty spool (a unit given to this member afresh,
// or whose spool cannot be rebuilt).
func (e *Engine) freshSpool(u *unit) error {
	if u.sp != nil {
		u.sp.close()
		u.sp = nil
	}
	sp, err := openSpool(filepath.Join(e.cfg.stateDir(), "units", u.spec.name), e.unitFolderFile(u), SpoolState{}, u.model.m.Encoder)
	if err != nil {
		return err
	}
	u.sp = sp
	return nil
}

// Flow takes the next flow of a local source and hands it to the units
// whose host is its source or destination.
func (e *Engine) Flow(f *flows.Flow, at *stream.Position) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if at != nil {
		e.local.pos = *at
	}
	e.local.seen = e.now()
	e.metrics.flows.Inc()
	return e.route(&e.local, f)
}

// route offers f to its units in domain d, moves d's event time on and
// lets the units' flows that are due go on to their detectors.
func (e *Engine) route(d *domain, f *flows.Flow) error {
	src := e.byHost[f.Src]
	dst := e.byHost[f.Dst]
	if src == nil && dst == nil {
		d.wm.See(f.Start) // every flow of the stream moves its event time on
		return nil
	}
	if src != nil {
		e.offer(d, src, f)
	}
	if dst != nil && dst != src {
		e.offer(d, dst, f)
	}
	d.wm.See(f.Start)
	now := d.wm.Now()
	if src != nil {
		if err := e.release(src, now); err != nil {
			return err
		}
	}
	if dst != nil && dst != src {
		return e.release(dst, now)
	}
	return nil
}

// offer puts f in u's reorder buffer, or counts it late.
func (e *Engine) offer(d *domain, u *unit, f *flows.Flow) {
	u.dom = d
	u.arrived = e.now()
	if wm := e.watermark(u); f.Start < wm {
		u.late++
		u.mLate.Inc()
		if u.late&(u.late-1) == 0 { // the 1st, 2nd, 4th, 8th... said
			e.cfg.Log("%s: late flow (%d so far): it starts at %s, %v before the watermark %s; left out of the windows (raise --max-lateness)",
				u.spec.name, u.late, iso(f.Start), time.Duration(wm-f.Start), iso(wm))
		}
		return
	}
	u.buf.Push(f)
}

func iso(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// release gives u's detector its flows that start at or before the
// watermark now.
func (e *Engine) release(u *unit, now int64) error {
	for u.buf.Pop(now, &u.scratch) {
		if err := e.judge(u, &u.scratch); err != nil {
			return err
		}
	}
	return nil
}

// now returns the wall clock as the engine last read it (each sweep
// reads it again): the idle timeouts are seconds, and reading the clock
// for every flow cost a tenth of the time.
func (e *Engine) now() time.Time {
	if e.clock.IsZero() {
		e.clock = time.Now()
	}
	return e.clock
}

// watermark returns u's event time now.
func (e *Engine) watermark(u *unit) int64 {
	return u.watermark(int64(e.cfg.MaxLateness), e.cfg.idle(), e.now())
}

// judge gives one flow, in order, to u's detector.
func (e *Engine) judge(u *unit, f *flows.Flow) error {
	if w := u.det.Add(f); w != nil {
		return e.window(u, w)
	}
	if u.b.Open() > 0 {
		next, start := u.det.Next()
		return e.emit(u, u.b.Advance(min(start, f.Start), next))
	}
	return nil
}

// window takes u's next window.
func (e *Engine) window(u *unit, w *detector.Window) error {
	u.windows++
	u.dirty = true
	e.metrics.windows.Inc()
	if w.Anomalous {
		u.anoms++
		u.mAnom.Inc()
	}
	if u.sp == nil && e.spooling() && u.windows == 1 {
		// A unit given to this member afresh (Kafka) starts its spool
		// with its first window.
		if err := e.freshSpool(u); err != nil {
			return err
		}
	}
	if u.sp != nil {
		if err := u.sp.window(w); err != nil {
			return err
		}
		u.series.Add(time.Unix(0, outputs.PlotTime(w)), w.Score.Sum, w.Anomalous)
	}
	evs, err := u.b.Window(w)
	if err != nil {
		return err
	}
	return e.emit(u, evs)
}

// emit sends the alerts of u's events.
func (e *Engine) emit(u *unit, evs []incident.Event) error {
	if len(evs) == 0 {
		return nil
	}
	for i := range evs {
		a := incident.AlertOf(&evs[i])
		if e.cfg.Annotate != nil {
			e.cfg.Annotate(&a)
		}
		e.metrics.alerts.WithLabelValues(string(a.Event)).Inc()
		if _, ok := e.suppress[a.Identity()]; ok {
			delete(e.suppress, a.Identity())
			continue
		}
		if err := e.alerts.Send(e.sinkCtx, &a, u.dom.name); err != nil {
			return fmt.Errorf("alert: %w", err)
		}
	}
	u.mOpen.Set(float64(u.b.Open()))
	return nil
}

// Sweep lets every unit's due flows go on (those that waited for the
// watermark while their unit had no new flow) and closes the incidents
// that no later window can join.
func (e *Engine) Sweep() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sweep()
}

func (e *Engine) sweep() error {
	e.clock = time.Now()
	for _, u := range e.units {
		if u.dom == nil {
			continue // not this member's (Kafka)
		}
		now := e.watermark(u)
		if err := e.release(u, now); err != nil {
			return err
		}
		if u.b.Open() > 0 && now != math.MinInt64 {
			// No window to come blames a flow before the horizon: not
			// one of the unfinished window's, not one waiting, not one to
			// come. A unit that got no flow for the idle timeout (wall
			// clock) has its unfinished window left out: its incidents
			// close.
			horizon, next := min(u.buf.Earliest(), now), math.MaxInt
			if quiet := !u.arrived.IsZero() && time.Since(u.arrived) > e.cfg.idle(); !quiet {
				var start int64
				next, start = u.det.Next()
				horizon = min(horizon, start)
			}
			if err := e.emit(u, u.b.Advance(horizon, next)); err != nil {
				return err
			}
		}
	}
	return nil
}

// End ends the input: every unit's waiting flows are judged, its last short
// window (if it had fewer flows than a window) made, and its incidents
// closed.
func (e *Engine) End() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, u := range e.units {
		if err := e.release(u, math.MaxInt64); err != nil {
			return err
		}
		if w := u.det.End(); w != nil {
			if err := e.window(u, w); err != nil {
				return err
			}
		}
		if err := e.emit(u, u.b.End()); err != nil {
			return err
		}
	}
	e.ended = true
	return e.alerts.Flush(e.sinkCtx)
}

// Status is a one-line account of the monitor.
type Status struct {
	Flows, Windows, Anomalies, Late int64
	Open, Units                     int
	Watermark                       int64
}

// Status returns the monitor's counts.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Status{Units: len(e.units), Watermark: e.local.wm.Now()}
	for _, u := range e.units {
		s.Windows += int64(u.windows)
		s.Anomalies += int64(u.anoms)
		s.Late += u.late
		s.Open += u.b.Open()
	}
	s.Flows = int64(e.metrics.flowsSeen())
	return s
}

// Run reads src into the monitor until it ends (End is then called, the
// folders refreshed and a last checkpoint written) or ctx is done (a last
// checkpoint is written: a restart goes on from it, and Run returns nil:
// a stopped monitor has not failed). Reports, checkpoints, sweeps and model
// reloads happen on their own meanwhile. Once ctx is done, what is left to
// do (the last checkpoint, flushing alerts) gets ShutdownTimeout.
func (e *Engine) Run(ctx context.Context, src *stream.Local) error {
	sctx, cancel := afterGrace(ctx, e.cfg.shutdown())
	defer cancel()
	e.mu.Lock()
	e.sinkCtx = sctx
	e.mu.Unlock()
	from, err := e.Resume(ctx, src)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	bg, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	bgErr := make(chan error, 2)
	loops := []func(context.Context) error{e.background}
	if e.cfg.CheckpointEvery > 0 {
		// Checkpoints on their own: a long refresh must not hold them
		// back, or a process killed over and over would never get past
		// its first one.
		loops = append(loops, e.checkpoints)
	}
	for _, loop := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loop(bg); err != nil {
				bgErr <- err
				stop()
			}
		}()
	}
	err = src.Run(bg, from, e.Flow)
	stop()
	wg.Wait()
	select {
	case berr := <-bgErr:
		return berr
	default:
	}
	if err != nil {
		if ctx.Err() != nil {
			// Stopped: the state goes on next time.
			return e.Checkpoint(sctx)
		}
		return err
	}
	if err := e.End(); err != nil {
		return err
	}
	if err := e.Refresh(ctx); err != nil {
		return err
	}
	return e.Checkpoint(sctx)
}

// afterGrace returns a context that ends grace after ctx does: the time
// a stopping monitor has for what is left to do.
func afterGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	g, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
		case <-g.Done():
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-g.Done():
		}
	}()
	return g, cancel
}

// background sweeps, refreshes and reloads models until ctx is done.
func (e *Engine) background(ctx context.Context) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	lastReport, lastPoll := time.Now(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			if err := e.Sweep(); err != nil {
				return err
			}
			if e.cfg.ModelPoll > 0 && now.Sub(lastPoll) >= e.cfg.ModelPoll {
				lastPoll = now
				e.ReloadModels()
			}
			if e.cfg.ReportEvery > 0 && now.Sub(lastReport) >= e.cfg.ReportEvery {
				lastReport = now
				if err := e.Refresh(ctx); err != nil {
					e.cfg.Log("report refresh: %v", err)
				}
			}
		}
	}
}

// checkpoints checkpoints a local source's monitor every CheckpointEvery
// until ctx is done.
func (e *Engine) checkpoints(ctx context.Context) error {
	tick := time.NewTicker(e.cfg.CheckpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := e.Checkpoint(ctx); err != nil {
				if ctx.Err() != nil {
					return nil // stopping: Run writes the last one
				}
				return err
			}
		}
	}
}
