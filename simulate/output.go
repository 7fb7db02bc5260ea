package simulate

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
)

// outFile is one flow file being written to a temporary file.
type outFile struct {
	path      string
	pending   *atomicfile.Pending
	buf       *bufio.Writer
	w         *flows.CSVWriter
	rows      int
	anomalous int
}

// outputs are the files of one Generate call. Nothing is visible under the
// final names until commit.
type outputs struct {
	cfg      Config
	train    []*outFile // per simulated service
	monitor  []*outFile
	created  []string // folders created, parents first, removed again on failure
	done     bool
	flow     flows.Flow
	labels   []string
	services []Role
}

// checkExisting returns an error wrapping ErrExists when a root already
// holds service or group folders, or the monitor root a ground-truth file.
func checkExisting(cfg Config) error {
	for _, root := range roots(cfg) {
		units, _, err := layout.Discover(root)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if len(units) > 0 {
			var names []string
			for i, u := range units {
				if i == 3 {
					names = append(names, "...")
					break
				}
				names = append(names, u.Name)
			}
			return fmt.Errorf("%s holds %d unit folders (%s): %w", root, len(units), strings.Join(names, ", "), ErrExists)
		}
	}
	gt := filepath.Join(cfg.MonitorRoot, GroundTruthFile)
	if _, err := os.Stat(gt); err == nil {
		return fmt.Errorf("%s exists: %w", gt, ErrExists)
	}
	return nil
}

// roots returns the distinct roots.
func roots(cfg Config) []string {
	if filepath.Clean(cfg.TrainRoot) == filepath.Clean(cfg.MonitorRoot) {
		return []string{cfg.TrainRoot}
	}
	return []string{cfg.TrainRoot, cfg.MonitorRoot}
}

// openOutputs checks the roots and opens a temporary file for every flow
// file.
func openOutputs(cfg Config, services []Role) (*outputs, error) {
	if !cfg.Force {
		if err := checkExisting(cfg); err != nil {
			return nil, err
		}
	}
	o := &outputs{cfg: cfg, services: services, labels: []string{NormalLabel}}
	for _, k := range Kinds() {
		o.labels = append(o.labels, k.Label())
	}
	for _, r := range services {
		u := layout.ServiceUnit(r.Addr)
		t, err := o.open(layout.TrainFile(cfg.TrainRoot, u))
		if err != nil {
			o.cleanup()
			return nil, err
		}
		o.train = append(o.train, t)
		m, err := o.open(layout.MonitorFile(cfg.MonitorRoot, u))
		if err != nil {
			o.cleanup()
			return nil, err
		}
		o.monitor = append(o.monitor, m)
	}
	if err := o.mkdir(cfg.MonitorRoot); err != nil {
		o.cleanup()
		return nil, err
	}
	return o, nil
}

// mkdir creates dir and its missing parents, remembering which it made.
func (o *outputs) mkdir(dir string) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	slices.Reverse(missing)
	o.created = append(o.created, missing...)
	return nil
}

func (o *outputs) open(path string) (*outFile, error) {
	dir := filepath.Dir(path)
	if err := o.mkdir(dir); err != nil {
		return nil, err
	}
	p, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	f := &outFile{path: path, pending: p, buf: bufio.NewWriterSize(p, 256<<10)}
	f.w = flows.NewCSVWriter(f.buf)
	return f, nil
}

// write sends a flow to the files of the simulated services it involves.
func (o *outputs) write(r *rec, id uint64, hosts []host, svcOf []int16, monitor bool) error {
	f := &o.flow
	f.Start, f.Duration = r.start, r.dur
	f.Src, f.Dst = hosts[r.src].addr, hosts[r.dst].addr
	f.SrcPort, f.DstPort, f.Proto = r.sport, r.dport, r.proto
	f.Bytes, f.Packets = r.bytes, r.packets
	f.ID = strconv.FormatUint(id, 10)
	f.Label = o.labels[r.label]
	files := o.train
	if monitor {
		files = o.monitor
	}
	a, b := svcOf[r.src], svcOf[r.dst]
	if a >= 0 {
		if err := files[a].put(f, r.label != 0); err != nil {
			return err
		}
	}
	if b >= 0 && b != a {
		return files[b].put(f, r.label != 0)
	}
	return nil
}

func (f *outFile) put(fl *flows.Flow, anomalous bool) error {
	f.rows++
	if anomalous {
		f.anomalous++
	}
	if err := f.w.Write(fl); err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	return nil
}

// commit flushes every file, clears old data when forced, moves the files
// into place and writes the ground truth last.
func (o *outputs) commit(truth []byte) error {
	all := slices.Concat(o.train, o.monitor)
	for _, f := range all {
		if err := f.w.Flush(); err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		if err := f.buf.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	if o.cfg.Force {
		if err := o.clearOld(all); err != nil {
			return err
		}
	}
	for _, f := range all {
		if err := f.pending.CloseAtomicallyReplace(); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	gt := filepath.Join(o.cfg.MonitorRoot, GroundTruthFile)
	if err := atomicfile.WriteBytes(gt, truth); err != nil {
		return err
	}
	o.done = true
	return nil
}

// clearOld removes the unit folders under the roots that this run does not
// write, and everything but the new files in the folders it does write
// (models and reports made from the old data).
func (o *outputs) clearOld(all []*outFile) error {
	ours := map[string]bool{} // our folders
	keep := map[string]bool{} // our temporary files
	for _, f := range all {
		ours[filepath.Clean(filepath.Dir(f.path))] = true
		keep[filepath.Clean(f.pending.Name())] = true
	}
	for _, root := range roots(o.cfg) {
		units, _, err := layout.Discover(root)
		if err != nil {
			return fmt.Errorf("replace old data: %w", err)
		}
		for _, u := range units {
			dir := filepath.Clean(layout.Dir(root, u))
			if !ours[dir] {
				if err := os.RemoveAll(dir); err != nil {
					return fmt.Errorf("replace old data: %w", err)
				}
				continue
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				return fmt.Errorf("replace old data: %w", err)
			}
			for _, e := range entries {
				p := filepath.Join(dir, e.Name())
				if keep[p] {
					continue
				}
				if err := os.RemoveAll(p); err != nil {
					return fmt.Errorf("replace old data: %w", err)
				}
			}
		}
	}
	return nil
}

// cleanup removes the temporary files and the folders made for them,
// unless commit succeeded.
func (o *outputs) cleanup() {
	if o.done {
		return
	}
	for _, f := range slices.Concat(o.train, o.monitor) {
		_ = f.pending.Cleanup()
	}
	for i := len(o.created) - 1; i >= 0; i-- {
		_ = os.Remove(o.created[i]) // only if empty
	}
}

// groundTruth renders the ground-truth CSV.
func groundTruth(rows []Injection) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	_ = w.Write([]string{"service", "kind", "direction", "peer", "port", "first_time", "last_time", "flows", "instance"})
	for _, r := range rows {
		dir := flows.Inbound
		if r.Outbound {
			dir = flows.Outbound
		}
		port := "*"
		if r.Port != 0 {
			port = strconv.Itoa(int(r.Port))
		}
		_ = w.Write([]string{r.Service.String(), string(r.Kind), dir.String(), r.Peer.String(), port,
			r.First.Format(time.RFC3339Nano), r.Last.Format(time.RFC3339Nano),
			strconv.Itoa(r.Flows), strconv.Itoa(r.Instance)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("encode ground truth: %w", err)
	}
	return b.Bytes(), nil
}

func (o *outputs) groundTruthPath() string { return filepath.Join(o.cfg.MonitorRoot, GroundTruthFile) }
