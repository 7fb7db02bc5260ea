package live

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/rootcause"
)

// A unit's spool is what its next folder refresh needs that its folder
// does not hold yet, in the unit's folder under the state folder:
//
//   - the predictions rows since the last refresh, in segments (files
//     named by the byte of the unit's predictions file they start at): a
//     refresh writes the new predictions file from the folder's one (its
//     first bytes, what the last refresh wrote) and the segments after
//     it; segments the folder and the last checkpoint both hold are
//     removed;
//   - the rows of the per-state reports (rootcause.Builder's store),
//     bounded by rootcause.Bounds.StateRows a state.
//
// Everything else a refresh needs (the report's counts, connections and
// incidents, the plot's series) is kept in memory, bounded, and in the
// checkpoints. So the state folder holds a refresh period's predictions
// rows and the bounded rows, not a second copy of the folders.
const (
	spoolSegmentPrefix = "rows-"
	spoolSegmentSuffix = ".csv"
	spoolSamples       = "samples.bin"
)

// castagnoli is CRC-32C's table, the sum manifests use.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SpoolState is where a unit's spool was at a checkpoint: its predictions
// file so far (rows, bytes and their CRC-32C), how much of it the unit's
// folder holds (Base, with its CRC-32C), and the report rows store's size
// and CRC-32C.
type SpoolState struct {
	Windows         int64
	PredictionsSize int64
	PredictionsCRC  uint32
	Base            int64  `json:",omitempty"`
	BaseCRC         uint32 `json:",omitempty"`
	SamplesSize     int64  `json:",omitempty"`
	SamplesCRC      uint32 `json:",omitempty"`
}

// segment is a file of predictions rows from byte base of the unit's
// predictions file on.
type segment struct {
	base, size int64
}

// spool writes a unit's windows into its spool files.
type spool struct {
	dir string
	// folder is the unit folder's predictions file: it holds the first
	// committed bytes (CRC committedCRC) of the predictions file.
	folder       string
	committed    int64
	committedCRC uint32
	segs         []segment // from committed (or before, until a checkpoint holds them) to the end
	cur          *os.File  // the last segment, written
	pw           *learner.PredictionWriter
	windows      int64
	size         int64 // of the predictions file so far
	crc          uint32
	samples      *os.File
	samplesSize  int64
	samplesCRC   uint32
	names        *rootcause.Names // the current model's symbol names
}

func segmentName(base int64) string {
	return fmt.Sprintf("%s%016x%s", spoolSegmentPrefix, base, spoolSegmentSuffix)
}

// openSpool opens a unit's spool in dir at st, the unit folder's
// predictions file being folder: what a killed process wrote after its
// last checkpoint is cut off, and the folder's file and the segments must
// hold what st says (their CRC-32C is checked); a zero st starts afresh.
func openSpool(dir, folder string, st SpoolState, enc flows.Encoder) (*spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &spool{dir: dir, folder: folder, names: rootcause.NewNames(enc), windows: st.Windows}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	if err := s.openPredictions(st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, spoolSamples), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.samples = f
	crc, err := truncateTo(f, st.SamplesSize, 0)
	if err == nil && crc != st.SamplesCRC {
		err = fmt.Errorf("%s: does not hold what the checkpoint says", f.Name())
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.samplesSize, s.samplesCRC = st.SamplesSize, st.SamplesCRC
	ok = true
	return s, nil
}

// truncateTo cuts f to size bytes (it must have them) and leaves it there
// for appending; it returns the CRC-32C of those bytes continued from crc.
func truncateTo(f *os.File, size int64, crc uint32) (uint32, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() < size {
		return 0, fmt.Errorf("%s: %d bytes, the checkpoint says %d", f.Name(), fi.Size(), size)
	}
	if err := f.Truncate(size); err != nil {
		return 0, err
	}
	crc, err = crcOf(crc, io.NewSectionReader(f, 0, size))
	if err != nil {
		return 0, err
	}
	_, err = f.Seek(size, io.SeekStart)
	return crc, err
}

// crcOf continues crc over what r reads.
func crcOf(crc uint32, r io.Reader) (uint32, error) {
	buf := make([]byte, 1<<16)
	for {
		n, err := r.Read(buf)
		crc = crc32.Update(crc, castagnoli, buf[:n])
		if errors.Is(err, io.EOF) {
			return crc, nil
		}
		if err != nil {
			return crc, err
		}
	}
}

// openPredictions finds the predictions file of st in the unit folder's
// file and the segments, removes the segments it does not need, and opens
// the last one for the rows to come.
func (s *spool) openPredictions(st SpoolState) error {
	var bases []int64
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if hex, ok := strings.CutPrefix(name, spoolSegmentPrefix); ok {
			if hex, ok = strings.CutSuffix(hex, spoolSegmentSuffix); ok {
				if b, err := strconv.ParseInt(hex, 16, 64); err == nil {
					bases = append(bases, b)
				}
			}
		}
	}
	slices.Sort(bases)
	if st.PredictionsSize > 0 {
		// The folder's first Base bytes, then the segments from there.
		if st.Base > 0 {
			f, err := os.Open(s.folder)
			if err != nil {
				return fmt.Errorf("spool: the unit folder's predictions: %w", err)
			}
			crc, err := crcOf(0, io.LimitReader(f, st.Base))
			f.Close()
			if err != nil || crc != st.BaseCRC {
				return fmt.Errorf("spool: %s does not begin with the %d bytes the checkpoint says (%v)", s.folder, st.Base, err)
			}
		}
		crc, at := st.BaseCRC, st.Base
		for i, b := range bases {
			if at == st.PredictionsSize || b < at {
				continue // after the file, or before the segments (the folder holds it)
			}
			if b != at {
				return fmt.Errorf("spool: %s: no segment from byte %d", s.dir, at)
			}
			end := st.PredictionsSize
			if i+1 < len(bases) && bases[i+1] < end {
				end = bases[i+1]
			}
			if crc, err = segmentCRC(filepath.Join(s.dir, segmentName(b)), end-b, crc); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
			s.segs = append(s.segs, segment{base: b, size: end - b})
			at = end
		}
		if at != st.PredictionsSize || crc != st.PredictionsCRC {
			return fmt.Errorf("spool: %s does not hold what the checkpoint says it held", s.dir)
		}
	}
	// Segments not of the file at st go (written after the checkpoint,
	// or held by the folder and the checkpoint already).
	for _, b := range bases {
		if !slices.ContainsFunc(s.segs, func(g segment) bool { return g.base == b }) {
			if err := os.Remove(filepath.Join(s.dir, segmentName(b))); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
		}
	}
	s.committed, s.committedCRC = st.Base, st.BaseCRC
	s.size, s.crc = st.PredictionsSize, st.PredictionsCRC
	if n := len(s.segs); n > 0 {
		last := s.segs[n-1]
		f, err := os.OpenFile(filepath.Join(s.dir, segmentName(last.base)), os.O_RDWR, 0o644)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.cur = f
		if _, err := truncateTo(f, last.size, 0); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	} else if err := s.newSegment(); err != nil {
		return err
	}
	if s.size == 0 {
		s.pw, err = learner.NewPredictionWriter(predOut{s})
	} else {
		s.pw = learner.ContinuePredictionWriter(predOut{s}, int(s.windows))
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// segmentCRC continues crc over the first n bytes of the segment at path,
// which must have them.
func segmentCRC(path string, n int64, crc uint32) (uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() < n {
		return 0, fmt.Errorf("%s: %d bytes, the checkpoint says %d", path, fi.Size(), n)
	}
	return crcOf(crc, io.LimitReader(f, n))
}

// newSegment starts a segment at the end of the predictions file.
func (s *spool) newSegment() error {
	if s.cur != nil {
		s.cur.Close()
		s.cur = nil
	}
	f, err := os.OpenFile(filepath.Join(s.dir, segmentName(s.size)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.cur = f
	s.segs = append(s.segs, segment{base: s.size})
	return nil
}

// predOut is where the predictions writer's bytes go: the last segment.
type predOut struct{ s *spool }

func (o predOut) Write(p []byte) (int, error) {
	s := o.s
	n, err := s.cur.Write(p)
	s.segs[len(s.segs)-1].size += int64(n)
	s.size += int64(n)
	s.crc = crc32.Update(s.crc, castagnoli, p[:n])
	return n, err
}

// window spools a window's predictions row.
func (s *spool) window(w *detector.Window) error {
	// Named as run names them (see rootcause.Names): watch's files are run's.
	if err := s.pw.WriteAt("", w.Symbols, s.names.Of(w.Flows), &w.Score); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.windows++
	return nil
}

// rows returns the report rows store's writer.
func (s *spool) rows() io.Writer { return samplesOut{s} }

// samplesOut is where the report rows go: the samples file.
type samplesOut struct{ s *spool }

func (o samplesOut) Write(p []byte) (int, error) {
	s := o.s
	n, err := s.samples.Write(p)
	s.samplesSize += int64(n)
	s.samplesCRC = crc32.Update(s.samplesCRC, castagnoli, p[:n])
	return n, err
}

// flush writes out what is buffered and returns the spool's state.
func (s *spool) flush() (SpoolState, error) {
	if err := s.pw.Flush(); err != nil {
		return SpoolState{}, fmt.Errorf("spool: %w", err)
	}
	return SpoolState{Windows: s.windows, PredictionsSize: s.size, PredictionsCRC: s.crc, Base: s.committed, BaseCRC: s.committedCRC,
		SamplesSize: s.samplesSize, SamplesCRC: s.samplesCRC}, nil
}

// sync makes the spool durable up to its last flush.
func (s *spool) sync() error {
	return errors.Join(s.cur.Sync(), s.samples.Sync())
}

func (s *spool) close() {
	for _, f := range []*os.File{s.cur, s.samples} {
		if f != nil {
			f.Close()
		}
	}
}

// snapshot is what a refresh reads of a spool: the predictions file up to
// a flush (the folder's first bytes, then segments), and the report rows.
type snapshot struct {
	st     SpoolState
	dir    string
	folder string
	segs   []segment
}

// snapshot flushes the spool and starts a new segment, so that the
// segments a refresh reads are no longer written.
func (s *spool) snapshot() (snapshot, error) {
	st, err := s.flush()
	if err != nil {
		return snapshot{}, err
	}
	var segs []segment
	for _, g := range s.segs {
		if g.base+g.size > s.committed && g.size > 0 {
			segs = append(segs, g)
		}
	}
	if s.segs[len(s.segs)-1].size > 0 {
		if err := s.newSegment(); err != nil {
			return snapshot{}, err
		}
	}
	return snapshot{st: st, dir: s.dir, folder: s.folder, segs: segs}, nil
}

// commit records that the unit folder now holds the predictions file of
// a snapshot.
func (s *spool) commit(st SpoolState) {
	if st.PredictionsSize > s.committed {
		s.committed, s.committedCRC = st.PredictionsSize, st.PredictionsCRC
	}
}

// release removes the segments that end at or before upTo (what a
// checkpoint and the unit folder both hold), not the one written.
func (s *spool) release(upTo int64) error {
	upTo = min(upTo, s.committed)
	keep := s.segs[:0]
	var errs []error
	for i, g := range s.segs {
		if i < len(s.segs)-1 && g.base+g.size <= upTo {
			if err := os.Remove(filepath.Join(s.dir, segmentName(g.base))); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		keep = append(keep, g)
	}
	s.segs = keep
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// writePredictions writes the snapshot's predictions file to w: the unit
// folder's first bytes, then the segments (on Linux the kernel copies
// them: copy_file_range), until ctx is done.
func (sn *snapshot) writePredictions(ctx context.Context, w *os.File) error {
	from := sn.st.PredictionsSize
	if len(sn.segs) > 0 {
		from = sn.segs[0].base
	}
	if from > 0 {
		if err := copyFrom(ctx, w, sn.folder, 0, from); err != nil {
			return fmt.Errorf("the unit folder's predictions: %w", err)
		}
	}
	for _, g := range sn.segs {
		if err := copyFrom(ctx, w, filepath.Join(sn.dir, segmentName(g.base)), 0, g.size); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	return nil
}

// copyChunk is how much copyFrom copies between two looks at its context:
// a stopping watch abandons a refresh within a chunk's copy.
const copyChunk = 8 << 20

// copyFrom appends bytes [off, off+n) of the file at path to w, until ctx
// is done.
func copyFrom(ctx context.Context, w *os.File, path string, off, n int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	for done := int64(0); done < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		got, err := w.ReadFrom(io.LimitReader(f, min(copyChunk, n-done)))
		done += got
		if err == nil && got == 0 {
			err = fmt.Errorf("%s: %d bytes from %d, want %d", path, done, off, n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
