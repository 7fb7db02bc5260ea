package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// In a consumer group a unit moves from member to member, each with its
// own disk: what the unit's folder holds that the state topic cannot (its
// predictions rows, a few hundred bytes a window, and its per-state report
// rows) goes to the spool topic, <group>-watch-spool, as the checkpoints
// write the states that count it. A unit's records are keyed by its name,
// in one partition (unitPartition), each a chunk of one of its two files
// at a byte offset (headers "file" and "at"); the topic keeps them as long
// as the folders keep their rows (retention off). The member Kafka gives
// the unit rebuilds its spool from them, up to what the unit's state
// counts, and checks their CRC-32C: the unit's folder then holds every
// window judged for it, by whichever member.
const (
	spoolTopicSuffix = "-watch-spool"
	// spoolChunk is the largest record of the spool topic.
	spoolChunk = 256 << 10
	// spoolBatch is how many bytes of records are written at once.
	spoolBatch = 4 << 20
)

// The files of a unit's spool records.
const (
	spoolFilePredictions = "predictions"
	spoolFileSamples     = "samples"
)

// shipJob is a unit's spool to write to the spool topic: from what was
// written before up to the state the checkpoint writes. It holds the
// spool's folder and segments as they were then: the checkpoint writes it
// while windows come and refreshes start segments (sp is for telling,
// under the lock, whether the unit still has that spool).
type shipJob struct {
	unit     string
	sp       *spool
	dir      string
	segs     []segment
	from, to SpoolState
}

// shipJobOf returns the job of the unit's spool sp from state from to
// state to; the engine's lock must be held.
func shipJobOf(unit string, sp *spool, from, to SpoolState) shipJob {
	return shipJob{unit: unit, sp: sp, dir: sp.dir, segs: slices.Clone(sp.segs), from: from, to: to}
}

// ship writes the jobs' new bytes to the spool topic, in batches, and
// waits until the broker has them.
func (k *kafkaWatch) ship(ctx context.Context, jobs []shipJob) error {
	var batch []*kgo.Record
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := k.spoolCl.ProduceSync(ctx, batch...).FirstErr()
		batch, size = batch[:0], 0
		if err != nil {
			return fmt.Errorf("write %s: %w", k.spoolTopic, err)
		}
		return nil
	}
	for _, j := range jobs {
		part := unitPartition(j.unit, k.spoolParts)
		emit := func(file string, at int64, b []byte) error {
			batch = append(batch, &kgo.Record{Topic: k.spoolTopic, Partition: part, Key: []byte(j.unit), Value: b,
				Headers: []kgo.RecordHeader{{Key: "file", Value: []byte(file)}, {Key: "at", Value: []byte(strconv.FormatInt(at, 10))}}})
			if size += len(b); size >= spoolBatch {
				return flush()
			}
			return nil
		}
		err := readPredictions(j.dir, j.segs, j.from.PredictionsSize, j.to.PredictionsSize, func(at int64, b []byte) error {
			return emit(spoolFilePredictions, at, b)
		})
		if err == nil {
			err = readChunks(filepath.Join(j.dir, spoolSamples), j.from.SamplesSize, j.to.SamplesSize, func(at int64, b []byte) error {
				return emit(spoolFileSamples, at, b)
			})
		}
		if err != nil {
			return fmt.Errorf("%s: %w", j.unit, err)
		}
	}
	return flush()
}

// readPredictions calls fn with the bytes [from, to) of the predictions
// file, in chunks, from the segments segs of the spool in dir (which hold
// them: a checkpoint releases segments only once they are written).
func readPredictions(dir string, segs []segment, from, to int64, fn func(at int64, b []byte) error) error {
	for _, g := range segs {
		lo, hi := max(from, g.base), min(to, g.base+g.size)
		if lo >= hi {
			continue
		}
		err := readChunks(filepath.Join(dir, segmentName(g.base)), lo-g.base, hi-g.base, func(at int64, b []byte) error {
			return fn(g.base+at, b)
		})
		if err != nil {
			return err
		}
		from = hi
	}
	if from < to {
		return fmt.Errorf("spool: bytes %d to %d of the predictions are in no segment", from, to)
	}
	return nil
}

// readChunks calls fn with bytes [from, to) of the file at path, in
// chunks of at most spoolChunk, each a new slice.
func readChunks(path string, from, to int64, fn func(at int64, b []byte) error) error {
	if from >= to {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for at := from; at < to; {
		b := make([]byte, min(spoolChunk, to-at))
		if _, err := f.ReadAt(b, at); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := fn(at, b); err != nil {
			return err
		}
		at += int64(len(b))
	}
	return nil
}

// rebuild is a unit's spool being rebuilt from the spool topic.
type rebuild struct {
	u     *unit
	st    SpoolState
	dir   string
	files map[string]*os.File
	err   error
}

// rebuildSpools rebuilds from the spool topic the spools of units given
// to this member with their states (their SpoolState up to which the
// topic must hold their files), each in its folder under the state
// folder. A unit whose records are not all there gets an empty spool,
// and says so: its folder then holds the windows judged from now on.
func (k *kafkaWatch) rebuildSpools(ctx context.Context, units []*rebuild) {
	e := k.e
	by := map[string]*rebuild{}
	parts := map[int32]int64{}
	for _, r := range units {
		by[r.u.spec.name] = r
		r.dir = filepath.Join(e.cfg.stateDir(), "units", r.u.spec.name)
		r.files = map[string]*os.File{}
		r.err = os.RemoveAll(r.dir)
		if r.err == nil {
			r.err = os.MkdirAll(r.dir, 0o755)
		}
		for file, name := range map[string]string{spoolFilePredictions: segmentName(0), spoolFileSamples: spoolSamples} {
			if r.err == nil {
				r.files[file], r.err = os.OpenFile(filepath.Join(r.dir, name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
			}
		}
		parts[unitPartition(r.u.spec.name, k.spoolParts)] = 0
	}
	// Other partitions are read from their end: nothing.
	ends, err := endOffsets(ctx, k.adm, k.spoolTopic)
	for p, end := range ends {
		if _, ok := parts[p]; !ok {
			parts[p] = end
		}
	}
	if err == nil {
		err = readRange(ctx, k.opts, k.adm, k.spoolTopic, parts, func(rec *kgo.Record) {
			r := by[string(rec.Key)]
			if r == nil || r.err != nil {
				return
			}
			file, _ := header(rec, "file")
			at, aerr := strconv.ParseInt(func() string { s, _ := header(rec, "at"); return s }(), 10, 64)
			f := r.files[file]
			if f == nil || aerr != nil {
				r.err = fmt.Errorf("%s/%d@%d: not a spool record", rec.Topic, rec.Partition, rec.Offset)
				return
			}
			r.err = place(f, at, rec.Value)
		})
	}
	for _, r := range units {
		for _, f := range r.files {
			f.Close()
		}
		if r.err == nil {
			r.err = err
		}
		u := r.u
		if r.err == nil {
			// The state's sizes: what a member wrote past its last
			// checkpoint is cut off (openSpool checks the CRC-32C).
			st := r.st
			st.Base, st.BaseCRC = 0, 0
			r.err = errors.Join(os.Truncate(filepath.Join(r.dir, segmentName(0)), st.PredictionsSize),
				os.Truncate(filepath.Join(r.dir, spoolSamples), st.SamplesSize))
			if r.err == nil {
				var sp *spool
				if sp, r.err = openSpool(r.dir, e.unitFolderFile(u), st, u.model.m.Encoder); r.err == nil {
					u.sp = sp
					k.shipped[u.spec.name] = st
					continue
				}
			}
		}
		e.cfg.Log("%s: its spool cannot be rebuilt from %s (%v): its folder holds the windows judged from now on", u.spec.name, k.spoolTopic, r.err)
		if err := e.freshSpool(u); err != nil {
			e.cfg.Log("%s: %v", u.spec.name, err)
		}
		delete(k.shipped, u.spec.name)
	}
}

// place writes b at byte at of f: a record that starts before the end of
// what f holds replaces what follows it (a member that died after writing
// rows its successor judged again), one that starts after it is missing
// rows.
func place(f *os.File, at int64, b []byte) error {
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	switch {
	case at > end:
		return fmt.Errorf("%s: bytes %d to %d are missing", f.Name(), end, at)
	case at < end:
		if err := f.Truncate(at); err != nil {
			return err
		}
	}
	_, err = f.WriteAt(b, at)
	return err
}
