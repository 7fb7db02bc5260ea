package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/netflow-monitor/monitor/rootcause"
	"github.com/netflow-monitor/monitor/stream"
)

// Checkpoint identity.
const (
	checkpointFormat  = "netflow-monitor watch checkpoint"
	checkpointVersion = 3
	checkpointFile    = "checkpoint.json"
)

// UnitState is a unit's state in a checkpoint: everything its windows and
// incidents go on from.
type UnitState struct {
	Name     string
	Model    string // the id of the model that judged it
	Detector detector.State
	Buffer   []flows.Flow // waiting for the watermark, in the order they leave
	Forced   int
	// Report is the unit's report so far, its open incidents with it.
	Report rootcause.BuilderState
	// Series is the plot's (plots.Series.MarshalBinary).
	Series    []byte `json:",omitempty"`
	Late      int64
	Windows   int
	Anomalies int
	Spool     SpoolState
	// Seen is, per input partition of route, the last offset of a
	// routed flow given to the unit.
	Seen map[int32]int64 `json:",omitempty"`
	// Sources is, for a unit fed by route, the latest start seen from
	// each of route's input partitions.
	Sources map[int32]int64 `json:",omitempty"`
}

type checkpoint struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Source    string
	Position  stream.Position
	Watermark int64
	Ended     bool
	// Alerts is the alert sink's mark: the alerts past it were sent
	// after this checkpoint.
	Alerts json.RawMessage
	// Pending are the identities of alerts sent before an earlier crash
	// that the replay since has not given again yet: they are still not
	// to be sent when it does.
	Pending []string `json:",omitempty"`
	Units   []UnitState
}

func (e *Engine) unitState(u *unit) (UnitState, error) {
	st := UnitState{Name: u.spec.name, Model: u.model.id.ID, Detector: u.det.State(), Buffer: u.buf.Flows(), Forced: u.buf.Forced,
		Report: u.b.State(), Late: u.late, Windows: u.windows, Anomalies: u.anoms, Seen: u.seen, Sources: u.sources}
	if u.sp != nil {
		var err error
		if st.Series, err = u.series.MarshalBinary(); err != nil {
			return st, err
		}
		if st.Spool, err = u.sp.flush(); err != nil {
			return st, err
		}
		if err := u.sp.sync(); err != nil {
			return st, fmt.Errorf("spool: %w", err)
		}
	}
	return st, nil
}

// restoreUnit gives u the state st, judged by u's current model (which
// encodes the unfinished window's flows again if it is not st's).
func (e *Engine) restoreUnit(u *unit, st *UnitState) {
	u.det = detector.Restore(u.model.m, u.spec.addr, st.Detector)
	u.buf = stream.RestoreReorder(e.cfg.MaxBuffered, st.Buffer, st.Forced)
	u.b = rootcause.RestoreBuilder(u.spec.name, u.model.m, u.model.id, e.cfg.IncidentGap, e.cfg.Bounds, e.rowsOf(u), &st.Report)
	u.series = plots.NewSeries(0)
	if len(st.Series) > 0 {
		if err := u.series.UnmarshalBinary(st.Series); err != nil {
			e.cfg.Log("%s: the checkpoint's plot does not read (%v): it starts afresh", u.spec.name, err)
			u.series = plots.NewSeries(0)
		}
	}
	u.late, u.windows, u.anoms, u.seen, u.sources = st.Late, st.Windows, st.Anomalies, st.Seen, st.Sources
	u.mOpen.Set(float64(u.b.Open()))
	if u.model.id.ID != st.Model {
		e.cfg.Log("%s: the checkpoint was judged by model %s, now %s: it goes on with the new one", u.spec.name, st.Model, u.model.id.ID)
	}
}

// Checkpoint saves the state of a local source's monitor: alerts and
// spools are made durable first, then the state file is replaced
// atomically, so that whenever the process dies the last checkpoint and
// what it points to are on disk. It records the alerts sent (the sink's
// mark) and those a replay must still not send again, so that any chain
// of crashes and restarts sends each alert once. Standard input is
// checkpointed too: the same stream replayed from its start goes on from
// it (see stream.Local.Head).
func (e *Engine) Checkpoint(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.checkpoint(ctx)
}

func (e *Engine) checkpoint(ctx context.Context) error {
	dir := e.cfg.stateDir()
	if dir == "" || e.source == "" {
		return nil
	}
	if err := e.alerts.Flush(ctx); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	mark, err := e.alerts.Mark(ctx, e.local.name)
	if err != nil {
		return fmt.Errorf("checkpoint: alerts: %w", err)
	}
	cp := checkpoint{Format: checkpointFormat, Version: checkpointVersion, Source: e.source, Position: e.local.pos,
		Watermark: e.local.wm.Max, Ended: e.ended, Alerts: mark}
	cp.Pending = e.pending(e.local.name)
	for _, u := range e.units {
		st, err := e.unitState(u)
		if err != nil {
			return fmt.Errorf("checkpoint: %s: %w", u.spec.name, err)
		}
		cp.Units = append(cp.Units, st)
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, checkpointFile), b); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// The spools' rows that the checkpoint and the unit folders both hold
	// are needed no more.
	for i, u := range e.units {
		if u.sp != nil {
			if err := u.sp.release(cp.Units[i].Spool.Base); err != nil {
				e.cfg.Log("%s: %v", u.spec.name, err)
			}
		}
	}
	return nil
}

// Resume sets the monitor up for src: from its checkpoint when there is
// one of the same source (standard input: the same stream, replayed from
// its start; the flows after it are read again, and the alerts they gave
// before the restart are not sent twice), afresh otherwise. It returns
// where src is to start.
func (e *Engine) Resume(ctx context.Context, src *stream.Local) (stream.Position, error) {
	head, err := src.Head(ctx) // before the lock: it waits for input
	if err != nil {
		return stream.Position{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.source = "-"
	if src.Path != "-" {
		abs, err := filepath.Abs(src.Path)
		if err != nil {
			return stream.Position{}, err
		}
		e.source = abs
	}
	dir := e.cfg.stateDir()
	if dir == "" {
		return stream.Position{}, nil
	}
	var cp checkpoint
	path := filepath.Join(dir, checkpointFile)
	err = input.ReadJSONFile(path, "read checkpoint", func(b []byte) error { return json.Unmarshal(b, &cp) })
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return stream.Position{}, fmt.Errorf("%w (remove %s to start afresh)", err, path)
	case cp.Format != checkpointFormat || cp.Version != checkpointVersion:
		return stream.Position{}, fmt.Errorf("%s: not a checkpoint of this version (remove it to start afresh)", path)
	}
	other := e.source == "-" && cp.Position.Fingerprint != head
	// A checkpoint at the end of the same input goes on too: run again
	// on it (a restart after the last flow), watch sends nothing twice,
	// and a file grown since is judged from where it ended. To judge an
	// input afresh, remove the state folder.
	if err != nil || cp.Source != e.source || other {
		switch {
		case other && cp.Source == e.source:
			e.cfg.Log("checkpoint of another standard input stream: starting afresh")
		case cp.Source != "" && cp.Source != e.source:
			e.cfg.Log("checkpoint of another source (%s): starting afresh", cp.Source)
		}
		if err := e.openSpools(nil); err != nil {
			return stream.Position{}, err
		}
		e.local.pos = stream.Position{File: src.Path, Fingerprint: head}
		if src.Path != "-" {
			e.local.pos = stream.Position{}
		}
		// A first checkpoint at once: a crash before the next one
		// resumes from the start without sending its alerts twice.
		return stream.Position{}, e.checkpoint(ctx)
	}
	states := map[string]SpoolState{}
	for i := range cp.Units {
		st := &cp.Units[i]
		u := e.byName[st.Name]
		if u == nil {
			e.cfg.Log("checkpoint: unit %s is no longer watched", st.Name)
			continue
		}
		e.restoreUnit(u, st)
		states[st.Name] = st.Spool
	}
	e.local.wm.Max = cp.Watermark
	e.local.pos = cp.Position
	if err := e.openSpools(states); err != nil {
		return stream.Position{}, fmt.Errorf("%w (remove %s to start afresh)", err, dir)
	}
	sent, err := e.alerts.Since(ctx, e.local.name, cp.Alerts)
	if err != nil {
		return stream.Position{}, err
	}
	e.suppress = map[string]string{}
	e.suppressAll(e.local.name, sent, cp.Pending)
	for _, u := range e.units {
		u.dirty = u.windows > 0
	}
	e.cfg.Log("resuming from the checkpoint: %s after %d flows (%d alerts sent since, not sent again)", cp.Position.File, cp.Position.Flows, len(e.suppress))
	return cp.Position, nil
}

// pending returns the identities of domain's alerts still to be
// suppressed, sorted.
func (e *Engine) pending(domain string) []string {
	var out []string
	for id, d := range e.suppress {
		if d == domain {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// suppressAll adds to the alerts not to send again those of domain sent
// after its checkpoint and those its checkpoint still had pending.
func (e *Engine) suppressAll(domain string, sent map[string]bool, pending []string) {
	if e.suppress == nil {
		e.suppress = map[string]string{}
	}
	for id := range sent {
		e.suppress[id] = domain
	}
	for _, id := range pending {
		e.suppress[id] = domain
	}
}
