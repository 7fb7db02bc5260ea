// Package ingest turns captures into the per-unit data folders (see
// package layout): it streams flow files of any format flows reads, finds
// the services of a capture when asked, and splits each unit's flows at a
// point in time into its training and monitoring files.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
)

// SplitConfig says how to turn flow files into train and monitor folders.
type SplitConfig struct {
	Inputs      []string
	Format      string // "" or "auto": detect per file
	SkipBadRows bool
	// MaxLine is the longest line (or quoted record) of an input, in
	// bytes; 0: input.DefaultMaxLine. See flows.DecodeOptions.
	MaxLine int

	// The split point: flows starting before TrainUntil train, the rest
	// are monitored. When TrainUntil is zero, TrainFraction of the capture's
	// time span (from its first to its last flow start) trains.
	TrainUntil    time.Time
	TrainFraction float64
	// TrainFrom, when set, is when the data starts: flows before it are
	// neither trained on nor monitored (counted in SplitSummary.Before).
	TrainFrom time.Time

	Services     []netip.Addr // services that get a model
	AutoServices bool         // also discover services (see ServiceCriteria)
	Criteria     ServiceCriteria
	Groups       []layout.Unit // groups that get one model for their members
	MonitorHosts []netip.Addr  // hosts to monitor; empty: the services

	TrainRoot, MonitorRoot string
	// Force replaces existing unit folders' flow files; without it an
	// existing file is an error, so that no data is overwritten by mistake.
	Force bool
}

// ServiceCriteria decide which hosts --services auto keeps: hosts that many
// peers reach on a few ports. A host qualifies with at least MinFlows flows
// (sent or received), at least MinPeers distinct peers connecting to it,
// and at least PortShare of its inbound flows on its TopPorts busiest
// destination ports.
type ServiceCriteria struct {
	MinFlows  int
	MinPeers  int
	TopPorts  int
	PortShare float64
}

// DefaultServiceCriteria: 1000 flows, 10 peers, 90 % on at most 3 ports.
func DefaultServiceCriteria() ServiceCriteria {
	return ServiceCriteria{MinFlows: 1000, MinPeers: 10, TopPorts: 3, PortShare: 0.9}
}

// SplitResult reports what one unit's or host's files received.
type SplitResult struct {
	Unit    string
	Train   int // flows written to its train file (0: no train file)
	Monitor int // flows written to its monitor file (0: no monitor file)
}

// SplitSummary is the outcome of Split.
type SplitSummary struct {
	Units   []SplitResult
	Flows   int // flows read
	Skipped int // bad rows skipped (SkipBadRows)
	// Dropped are the rows that are records of something other than an
	// IP flow (ARP, Argus management), left out, by kind.
	Dropped []flows.Dropped
	Before  int       // flows before TrainFrom, not used
	Until   time.Time // the split point used
	Auto    []netip.Addr
	// Own are the monitored hosts that no service or group covered: each
	// got a unit of its own.
	Own []netip.Addr
}

// Split reads the inputs (streaming; twice when the split point or the
// services must be found first) and writes, for every service and group, the
// flows of its hosts before the split point to its train file, and for
// every monitored host its flows from the split point on to its monitor
// file. Labels are kept. All files are written atomically: on error none is
// left behind.
func Split(ctx context.Context, c SplitConfig) (SplitSummary, error) {
	var sum SplitSummary
	if len(c.Inputs) == 0 {
		return sum, errors.New("split: no input files")
	}
	if c.TrainUntil.IsZero() && !(c.TrainFraction > 0 && c.TrainFraction < 1) {
		return sum, errors.New("split: give --train-until TIME or --train-fraction in (0, 1)")
	}
	if !c.TrainFrom.IsZero() && !c.TrainUntil.IsZero() && !c.TrainFrom.Before(c.TrainUntil) {
		return sum, fmt.Errorf("split: --train-from %s is not before --train-until %s", c.TrainFrom.Format(time.RFC3339), c.TrainUntil.Format(time.RFC3339))
	}
	services := slices.Clone(c.Services)
	if c.AutoServices || c.TrainUntil.IsZero() {
		st, err := scanStats(ctx, c)
		if err != nil {
			return sum, err
		}
		if c.TrainUntil.IsZero() {
			first := st.first
			if !c.TrainFrom.IsZero() {
				first = max(first, c.TrainFrom.UnixNano())
			}
			span := st.last - first
			c.TrainUntil = time.Unix(0, first+int64(float64(span)*c.TrainFraction)).UTC()
		}
		if c.AutoServices {
			sum.Auto = st.services(c.Criteria)
			for _, a := range sum.Auto {
				if !slices.Contains(services, a) {
					services = append(services, a)
				}
			}
		}
	}
	sum.Until = c.TrainUntil
	monitor := c.MonitorHosts
	if len(monitor) == 0 {
		monitor = services
	}
	// A monitored host that no service or group covers gets a model of its
	// own, from its own training flows.
	for _, h := range monitor {
		covered := slices.Contains(services, h)
		for _, g := range c.Groups {
			covered = covered || slices.Contains(g.Members, h)
		}
		if !covered {
			services = append(services, h)
			sum.Own = append(sum.Own, h)
		}
	}
	if len(services) == 0 && len(c.Groups) == 0 && len(monitor) == 0 {
		return sum, errors.New("split: no services, groups or monitored hosts (see --services, --group, --monitor-hosts)")
	}

	w := newSplitWriters(c)
	defer w.cleanup()
	for _, s := range services {
		if err := w.addTrain(layout.ServiceUnit(s)); err != nil {
			return sum, err
		}
	}
	for _, g := range c.Groups {
		if err := w.addTrain(g); err != nil {
			return sum, err
		}
	}
	for _, h := range monitor {
		if err := w.addMonitor(h); err != nil {
			return sum, err
		}
	}
	until := c.TrainUntil.UnixNano()
	from := int64(math.MinInt64)
	if !c.TrainFrom.IsZero() {
		from = c.TrainFrom.UnixNano()
	}
	rc, err := eachFlow(ctx, c, func(f *flows.Flow) error {
		if f.Start < from {
			sum.Before++
			return nil
		}
		return w.write(f, f.Start < until)
	})
	sum.Flows, sum.Skipped, sum.Dropped = rc.flows, rc.skipped, rc.dropped
	if err != nil {
		return sum, err
	}
	units, err := w.commit()
	sum.Units = units
	return sum, err
}

// readCounts are the rows of the inputs that eachFlow read.
type readCounts struct {
	flows   int             // flows given to fn
	skipped int             // bad rows skipped (SkipBadRows)
	dropped []flows.Dropped // records that are not IP flows, by kind
}

// eachFlow streams every flow of every input to fn.
func eachFlow(ctx context.Context, c SplitConfig, fn func(*flows.Flow) error) (readCounts, error) {
	format := c.Format
	if format == "" {
		format = "auto"
	}
	var rc readCounts
	var f flows.Flow
	for _, path := range c.Inputs {
		dec, closer, err := flows.Open(ctx, path, format, flows.DecodeOptions{SkipBadRows: c.SkipBadRows, MaxLine: c.MaxLine})
		if err != nil {
			return rc, err
		}
		for {
			if rc.flows&0xffff == 0 && ctx.Err() != nil {
				closer.Close()
				return rc, fmt.Errorf("split cancelled: %w", ctx.Err())
			}
			err := dec.Next(&f)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				closer.Close()
				return rc, err
			}
			rc.flows++
			if err := fn(&f); err != nil {
				closer.Close()
				return rc, err
			}
		}
		rc.skipped += dec.Skipped()
		rc.dropped = addDropped(rc.dropped, dec.Dropped())
		if err := closer.Close(); err != nil {
			return rc, fmt.Errorf("%s: %w", path, err)
		}
	}
	return rc, nil
}

// addDropped adds the counts of more to those of sum, by kind.
func addDropped(sum, more []flows.Dropped) []flows.Dropped {
	for _, d := range more {
		if i := slices.IndexFunc(sum, func(s flows.Dropped) bool { return s.Kind == d.Kind }); i >= 0 {
			sum[i].Rows += d.Rows
		} else {
			sum = append(sum, d)
		}
	}
	return sum
}

// splitWriters holds one atomic output file per unit and role.
type splitWriters struct {
	c       SplitConfig
	train   map[netip.Addr][]*unitFile // host -> train files of the units it belongs to
	monitor map[netip.Addr]*unitFile
	files   []*unitFile
	created []string // folders this split made, parents first
}

type unitFile struct {
	unit  layout.Unit
	role  string // "train" or "monitor"
	path  string
	tmp   *atomicfile.Pending
	w     *flows.CSVWriter
	count int
	group []byte // group.json content for group units
}

func newSplitWriters(c SplitConfig) *splitWriters {
	return &splitWriters{c: c, train: map[netip.Addr][]*unitFile{}, monitor: map[netip.Addr]*unitFile{}}
}

func (s *splitWriters) open(u layout.Unit, role, path string) (*unitFile, error) {
	if _, err := os.Stat(path); err == nil && !s.c.Force {
		return nil, fmt.Errorf("%s exists; use --force to replace it", path)
	}
	root := rootOf(s.c, role)
	for _, d := range []string{root, layout.Dir(root, u)} {
		if _, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, fmt.Errorf("split: %w", err)
			}
			s.created = append(s.created, d)
		}
	}
	tmp, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("split: %w", err)
	}
	f := &unitFile{unit: u, role: role, path: path, tmp: tmp, w: flows.NewCSVWriter(tmp)}
	s.files = append(s.files, f)
	return f, nil
}

func rootOf(c SplitConfig, role string) string {
	if role == "train" {
		return c.TrainRoot
	}
	return c.MonitorRoot
}

func (s *splitWriters) addTrain(u layout.Unit) error {
	f, err := s.open(u, "train", layout.TrainFile(s.c.TrainRoot, u))
	if err != nil {
		return err
	}
	if u.IsGroup() {
		if f.group, err = layout.GroupJSON(u); err != nil {
			return err
		}
	}
	for _, h := range u.Hosts() {
		s.train[h] = append(s.train[h], f)
	}
	return nil
}

func (s *splitWriters) addMonitor(h netip.Addr) error {
	if _, dup := s.monitor[h]; dup {
		return nil
	}
	f, err := s.open(layout.ServiceUnit(h), "monitor", layout.MonitorFile(s.c.MonitorRoot, layout.ServiceUnit(h)))
	if err != nil {
		return err
	}
	s.monitor[h] = f
	return nil
}

// write sends a flow to the files of the units its ends belong to, once
// per file (a flow between two members of a group is written once).
func (s *splitWriters) write(f *flows.Flow, training bool) error {
	if training {
		var done [4]*unitFile
		n := 0
		for _, h := range [2]netip.Addr{f.Src, f.Dst} {
			for _, uf := range s.train[h] {
				if slices.Contains(done[:n], uf) {
					continue
				}
				if err := s.emit(uf, f); err != nil {
					return err
				}
				if n < len(done) {
					done[n] = uf
					n++
				}
			}
		}
		return nil
	}
	if uf := s.monitor[f.Src]; uf != nil {
		if err := s.emit(uf, f); err != nil {
			return err
		}
	}
	if uf := s.monitor[f.Dst]; uf != nil && f.Dst != f.Src {
		return s.emit(uf, f)
	}
	return nil
}

func (s *splitWriters) emit(uf *unitFile, f *flows.Flow) error {
	uf.count++
	if err := uf.w.Write(f); err != nil {
		return fmt.Errorf("split: %s: %w", uf.path, err)
	}
	return nil
}

// commit flushes every file and renames it into place, group.json last.
func (s *splitWriters) commit() ([]SplitResult, error) {
	byUnit := map[string]*SplitResult{}
	var order []string
	for _, uf := range s.files {
		if err := uf.w.Flush(); err != nil {
			return nil, err
		}
		if err := uf.tmp.CloseAtomicallyReplace(); err != nil {
			return nil, fmt.Errorf("split: write %s: %w", uf.path, err)
		}
		uf.tmp = nil
		if uf.group != nil {
			if err := atomicfile.WriteBytes(layout.Dir(s.c.TrainRoot, uf.unit)+"/"+layout.GroupFile, uf.group); err != nil {
				return nil, fmt.Errorf("split: %w", err)
			}
		}
		r, ok := byUnit[uf.unit.Name]
		if !ok {
			r = &SplitResult{Unit: uf.unit.Name}
			byUnit[uf.unit.Name] = r
			order = append(order, uf.unit.Name)
		}
		if uf.role == "train" {
			r.Train = uf.count
		} else {
			r.Monitor = uf.count
		}
	}
	out := make([]SplitResult, 0, len(order))
	for _, name := range order {
		out = append(out, *byUnit[name])
	}
	return out, nil
}

// cleanup removes the temporary files of an unfinished split, and the
// folders it made for them, so that a failed split leaves no empty unit
// folders (which train and run would take for units without data).
func (s *splitWriters) cleanup() {
	unfinished := false
	for _, uf := range s.files {
		if uf.tmp != nil {
			uf.tmp.Cleanup()
			unfinished = true
		}
	}
	if !unfinished {
		return
	}
	for i := len(s.created) - 1; i >= 0; i-- {
		_ = os.Remove(s.created[i]) // only if empty
	}
}
