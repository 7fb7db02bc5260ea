package live

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Spool files of a unit, in its folder under the state folder. They grow
// as windows come, so that a report refresh copies or reads them instead of
// keeping every window in memory.
const (
	spoolPredictions = "predictions.csv" // the predictions file's bytes so far
	spoolSums        = "sums.bin"        // each window's start, score and verdict (sumRecord bytes, little-endian)
	spoolAnomalies   = "anomalies.jsonl" // the anomalous windows (rootcause.Anomaly), symbols as names' numbers
	spoolNames       = "names.txt"       // the symbol names anomalies use, one a line
)

// SpoolState is where a unit's spool files were at a checkpoint.
type SpoolState struct {
	PredictionsSize int64
	PredictionsCRC  uint32
	Sums            int64 // windows
	AnomaliesSize   int64
	Anomalies       int
	Names           int
}

// spool writes a unit's windows into its spool files.
type spool struct {
	dir       string
	pred      *os.File
	pw        *learner.PredictionWriter
	predCount countCRC
	sums      *bufio.Writer
	sumsFile  *os.File
	anom      *bufio.Writer
	anomFile  *os.File
	namesFile *os.File
	st        SpoolState
	ids       map[string]int32 // numbers of the names anomalies use
	list      []string
	names     *rootcause.Names // the current model's symbol names
	rowBuf    []byte
}

// countCRC counts and sums the bytes written through it.
type countCRC struct {
	n   int64
	crc interface {
		io.Writer
		Sum32() uint32
	}
}

func (c *countCRC) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.crc.Write(p)
}

// openSpool opens a unit's spool in dir at st: files longer than st (what
// a killed process wrote after its last checkpoint) are cut back to it, and
// a zero st starts afresh.
func openSpool(dir string, st SpoolState, enc flows.Encoder) (*spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &spool{dir: dir, st: st, ids: map[string]int32{}, names: rootcause.NewNames(enc)}
	open := func(name string, size int64) (*os.File, error) {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		if err := f.Truncate(size); err != nil {
			f.Close()
			return nil, fmt.Errorf("spool %s: %w", name, err)
		}
		if _, err := f.Seek(size, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("spool %s: %w", name, err)
		}
		return f, nil
	}
	var err error
	if s.pred, err = open(spoolPredictions, st.PredictionsSize); err != nil {
		return nil, err
	}
	s.predCount = countCRC{crc: layout.NewCRC()}
	if st.PredictionsSize > 0 {
		// The sum so far goes on from the bytes kept.
		if _, err := io.Copy(&s.predCount, io.NewSectionReader(s.pred, 0, st.PredictionsSize)); err != nil {
			s.close()
			return nil, fmt.Errorf("spool: %w", err)
		}
		if s.predCount.crc.Sum32() != st.PredictionsCRC {
			s.close()
			return nil, fmt.Errorf("spool %s: does not hold what the checkpoint says it held", filepath.Join(dir, spoolPredictions))
		}
	}
	w := io.Writer(io.MultiWriter(s.pred, &s.predCount))
	if st.PredictionsSize == 0 {
		s.pw, err = learner.NewPredictionWriter(w)
	} else {
		s.pw = learner.ContinuePredictionWriter(w, int(st.Sums))
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if s.sumsFile, err = open(spoolSums, st.Sums*sumRecord); err != nil {
		s.close()
		return nil, err
	}
	if s.anomFile, err = open(spoolAnomalies, st.AnomaliesSize); err != nil {
		s.close()
		return nil, err
	}
	if s.namesFile, err = os.OpenFile(filepath.Join(dir, spoolNames), os.O_RDWR|os.O_CREATE, 0o644); err != nil {
		s.close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if s.list, err = readNames(s.namesFile, st.Names); err != nil {
		s.close()
		return nil, err
	}
	for i, n := range s.list {
		s.ids[n] = int32(i)
	}
	if err := rewriteNames(s.namesFile, s.list); err != nil {
		s.close()
		return nil, err
	}
	s.sums, s.anom = bufio.NewWriterSize(s.sumsFile, 1<<14), bufio.NewWriterSize(s.anomFile, 1<<14)
	return s, nil
}

func readNames(f *os.File, n int) ([]string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(f)
	var out []string
	for len(out) < n && sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("spool names: %w", err)
	}
	if len(out) < n {
		return nil, fmt.Errorf("spool names: %d, the checkpoint says %d", len(out), n)
	}
	return out, nil
}

func rewriteNames(f *os.File, names []string) error {
	var size int64
	for _, n := range names {
		size += int64(len(n)) + 1
	}
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("spool names: %w", err)
	}
	_, err := f.Seek(size, io.SeekStart)
	return err
}

// window spools a window: its predictions row, its sum, and, when
// anomalous, its anomaly a with its symbols named.
func (s *spool) window(w *detector.Window, an *rootcause.Anomaly) error {
	// Named as run names them (see rootcause.Names): watch's files are run's.
	if err := s.pw.WriteAt("", w.Symbols, s.names.Of(w.Flows), &w.Score); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	var b [sumRecord]byte
	binary.LittleEndian.PutUint64(b[:], uint64(outputs.PlotTime(w)))
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(w.Score.Sum))
	if w.Anomalous {
		b[16] = 1
	}
	s.sums.Write(b[:])
	s.st.Sums++
	if !w.Anomalous {
		return nil
	}
	a := *an
	a.Symbols = slices.Clone(an.Symbols)
	for i, sym := range a.Symbols {
		if sym == flows.Unknown {
			continue // named by its flow in the reports, as run does
		}
		name := s.names.Symbol(sym)
		id, ok := s.ids[name]
		if !ok {
			id = int32(len(s.list))
			s.ids[name] = id
			s.list = append(s.list, name)
			if _, err := s.namesFile.WriteString(name + "\n"); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
		}
		a.Symbols[i] = id
	}
	b2, err := json.Marshal(&a)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.anom.Write(append(b2, '\n'))
	s.st.AnomaliesSize += int64(len(b2)) + 1
	s.st.Anomalies++
	return nil
}

// flush writes out what is buffered and returns the spool's state.
func (s *spool) flush() (SpoolState, error) {
	err := errors.Join(s.pw.Flush(), s.sums.Flush(), s.anom.Flush())
	if err != nil {
		return s.st, fmt.Errorf("spool: %w", err)
	}
	s.st.PredictionsSize, s.st.PredictionsCRC = s.predCount.n, s.predCount.crc.Sum32()
	s.st.Names = len(s.list)
	return s.st, nil
}

// sync makes the spool durable up to its last flush.
func (s *spool) sync() error {
	return errors.Join(s.pred.Sync(), s.sumsFile.Sync(), s.anomFile.Sync(), s.namesFile.Sync())
}

func (s *spool) close() {
	for _, f := range []*os.File{s.pred, s.sumsFile, s.anomFile, s.namesFile} {
		if f != nil {
			f.Close()
		}
	}
}

// snapshot is what a refresh reads of a spool: its files up to a flush.
type snapshot struct {
	dir   string
	st    SpoolState
	names []string
}

func (s *spool) snapshot() (snapshot, error) {
	st, err := s.flush()
	return snapshot{dir: s.dir, st: st, names: append([]string(nil), s.list...)}, err
}

// sums reads the windows' log-likelihoods.
func (sn *snapshot) sums() ([]windowSum, error) {
	b := make([]byte, sn.st.Sums*sumRecord)
	f, err := os.Open(filepath.Join(sn.dir, spoolSums))
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("spool sums: %w", err)
	}
	out := make([]windowSum, sn.st.Sums)
	for i := range out {
		r := b[sumRecord*i:]
		out[i] = windowSum{start: int64(binary.LittleEndian.Uint64(r)), sum: math.Float64frombits(binary.LittleEndian.Uint64(r[8:])), anomalous: r[16] == 1}
	}
	return out, nil
}

// sumRecord is the size of a window's record in the sums file: when the
// plot draws it (outputs.PlotTime, Unix nanoseconds), its score (float64 bits) and its verdict (a byte),
// padded.
const sumRecord = 24

// windowSum is what the plot needs of a spooled window.
type windowSum struct {
	start     int64
	sum       float64
	anomalous bool
}

// anomalies reads the anomalous windows.
func (sn *snapshot) anomalies() ([]rootcause.Anomaly, error) {
	f, err := os.Open(filepath.Join(sn.dir, spoolAnomalies))
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, sn.st.AnomaliesSize))
	sc.Buffer(nil, 1<<24)
	out := make([]rootcause.Anomaly, 0, sn.st.Anomalies)
	for sc.Scan() {
		var a rootcause.Anomaly
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, fmt.Errorf("spool anomalies: %w", err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("spool anomalies: %w", err)
	}
	if len(out) != sn.st.Anomalies {
		return nil, fmt.Errorf("spool anomalies: %d, want %d", len(out), sn.st.Anomalies)
	}
	return out, nil
}

// namedEncoder is a model's encoder whose symbol names are those of a
// spool's anomalies (numbered as the spool names them), so that the
// reports name the symbols of windows judged by earlier models too.
type namedEncoder struct {
	flows.Encoder
	names []string
}

func (e namedEncoder) SymbolName(s int32) string {
	if s >= 0 && int(s) < len(e.names) {
		return e.names[s]
	}
	return fmt.Sprint(s)
}
