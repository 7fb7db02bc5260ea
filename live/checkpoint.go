package live

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/detector"
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
	// Buffer are the flows waiting for the watermark (stream.Reorder's
	// WriteTo): in a Kafka checkpoint here, in a local one at BufferAt
	// (BufferLen bytes) of the checkpoint's buffers file, so that a full
	// buffer is written as it is read, not held twice in memory.
	Buffer    []byte `json:",omitempty"`
	BufferAt  int64  `json:",omitempty"`
	BufferLen int64  `json:",omitempty"`
	Forced    int
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
	// Buffers is the file, beside the checkpoint, of the units' waiting
	// flows, and BuffersCRC its CRC-32C.
	Buffers    string `json:",omitempty"`
	BuffersCRC uint32 `json:",omitempty"`
	Units      []UnitState
}

// buffersPrefix names the files of the units' waiting flows beside a
// local checkpoint: a new one each checkpoint, the others removed once it
// is written.
const buffersPrefix = "buffers-"

// unitState returns u's state for a checkpoint; its waiting flows go to
// buffers when it is not nil (a local checkpoint's file), else in the
// state.
func (e *Engine) unitState(u *unit, buffers *countWriter) (UnitState, error) {
	st := UnitState{Name: u.spec.name, Model: u.model.id.ID, Detector: u.det.State(), Forced: u.buf.Forced,
		Report: u.b.State(), Late: u.late, Windows: u.windows, Anomalies: u.anoms, Seen: u.seen, Sources: u.sources}
	if buffers != nil {
		st.BufferAt = buffers.n
		n, err := u.buf.WriteTo(buffers)
		if err != nil {
			return st, err
		}
		st.BufferLen = n
	} else {
		var b bytes.Buffer
		if _, err := u.buf.WriteTo(&b); err != nil {
			return st, err
		}
		st.Buffer = b.Bytes()
	}
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

// restoreUnit gives u the state st, its waiting flows being buffer (see
// UnitState.Buffer), judged by u's current model (which encodes the
// unfinished window's flows again if it is not st's).
func (e *Engine) restoreUnit(u *unit, st *UnitState, buffer []byte) error {
	buf, err := stream.DecodeReorder(e.cfg.MaxBuffered, buffer, st.Forced)
	if err != nil {
		return fmt.Errorf("%s: the flows waiting at the checkpoint: %w", u.spec.name, err)
	}
	u.buf = buf
	u.det = detector.Restore(u.model.m, u.spec.addr, st.Detector)
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
	return nil
}

// countWriter writes to w, counting and summing what it writes.
type countWriter struct {
	w   io.Writer
	n   int64
	crc uint32
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return n, err
}

// writeBuffers writes the units' waiting flows into a new buffers file of
// dir, durable before it returns, and returns its name and the units'
// states.
func (e *Engine) writeBuffers(dir string) (string, uint32, []UnitState, error) {
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return "", 0, nil, err
	}
	name := buffersPrefix + hex.EncodeToString(id) + ".bin"
	p, err := atomicfile.Create(filepath.Join(dir, name))
	if err != nil {
		return "", 0, nil, err
	}
	defer p.Cleanup()
	bw := bufio.NewWriterSize(p, 1<<16)
	cw := &countWriter{w: bw}
	var states []UnitState
	for _, u := range e.units {
		st, err := e.unitState(u, cw)
		if err != nil {
			return "", 0, nil, fmt.Errorf("%s: %w", u.spec.name, err)
		}
		states = append(states, st)
	}
	if err := bw.Flush(); err != nil {
		return "", 0, nil, err
	}
	if err := p.CloseAtomicallyReplace(); err != nil {
		return "", 0, nil, err
	}
	return name, cw.crc, states, nil
}

// removeBuffers removes the buffers files of dir but keep (those of
// earlier checkpoints, or of one a crash left unfinished).
func removeBuffers(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if n := strings.TrimPrefix(e.Name(), "."); strings.HasPrefix(n, buffersPrefix) && e.Name() != keep {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// readBuffers reads a checkpoint's buffers file, checking its CRC-32C.
func readBuffers(dir string, cp *checkpoint) ([]byte, error) {
	if cp.Buffers == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.Base(cp.Buffers)))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if crc32.Checksum(b, castagnoli) != cp.BuffersCRC {
		return nil, fmt.Errorf("checkpoint: %s does not hold what the checkpoint says", cp.Buffers)
	}
	return b, nil
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	cp.Buffers, cp.BuffersCRC, cp.Units, err = e.writeBuffers(dir)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, checkpointFile), b); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := removeBuffers(dir, cp.Buffers); err != nil {
		e.cfg.Log("checkpoint: %v", err)
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
	buffers, err := readBuffers(dir, &cp)
	if err != nil {
		return stream.Position{}, fmt.Errorf("%w (remove %s to start afresh)", err, dir)
	}
	states := map[string]SpoolState{}
	for i := range cp.Units {
		st := &cp.Units[i]
		u := e.byName[st.Name]
		if u == nil {
			e.cfg.Log("checkpoint: unit %s is no longer watched", st.Name)
			continue
		}
		if st.BufferAt < 0 || st.BufferLen < 0 || st.BufferAt+st.BufferLen > int64(len(buffers)) {
			return stream.Position{}, fmt.Errorf("checkpoint: %s: its waiting flows are not in %s (remove %s to start afresh)", st.Name, cp.Buffers, dir)
		}
		if err := e.restoreUnit(u, st, buffers[st.BufferAt:st.BufferAt+st.BufferLen]); err != nil {
			return stream.Position{}, fmt.Errorf("checkpoint: %w (remove %s to start afresh)", err, dir)
		}
		states[st.Name] = st.Spool
	}
	buffers = nil
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
