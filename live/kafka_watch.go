package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/stream"
)

// partState is a partition's checkpoint in the state topic: the next
// offset to read, its event time, the alerts' mark and the alerts still
// to be suppressed. A partition's first owner writes one at once, before
// judging anything (Fresh, with only the mark), so that an owner that
// dies before its first checkpoint leaves its successor the alerts it
// sent.
type partState struct {
	Offset    int64
	Watermark int64
	Alerts    json.RawMessage
	Pending   []string `json:",omitempty"`
	Fresh     bool     `json:",omitempty"`
}

// kafkaUnitState is a unit's checkpoint in the state topic: its state, the
// partition it is read from, and the next offset of every partition of the
// checkpoint (records before them are in the state).
type kafkaUnitState struct {
	UnitState
	Partition int32
	Offsets   map[int32]int64
}

// unitHead is the record of a unit's state under its key: the state is
// in Chunks records of at most stateChunk bytes (keys unitKey/Set/i),
// written before it, of Size bytes and CRC-32C CRC. Two sets alternate, so
// that a member that dies while it writes one leaves the other, which the
// head still names, whole.
type unitHead struct {
	Set, Chunks int
	Size        int
	CRC         uint32
}

// stateChunk is the largest record of a unit's state.
const stateChunk = 512 << 10

func (k *kafkaWatch) chunkKey(name string, set, i int) string {
	return k.unitKey(name) + "/" + strconv.Itoa(set) + "/" + strconv.Itoa(i)
}

// unitRecords returns the records of a unit's state b: its chunks, then
// its head.
func (k *kafkaWatch) unitRecords(name string, b []byte) []*kgo.Record {
	set := 1 - k.sets[name]
	var recs []*kgo.Record
	h := unitHead{Set: set, Size: len(b), CRC: crc32.Checksum(b, castagnoli)}
	for at := 0; at < len(b) || h.Chunks == 0; at += stateChunk {
		c := b[at:min(len(b), at+stateChunk)]
		recs = append(recs, &kgo.Record{Topic: k.stateTopic, Key: []byte(k.chunkKey(name, set, h.Chunks)), Value: c})
		h.Chunks++
	}
	hb, _ := json.Marshal(h)
	return append(recs, &kgo.Record{Topic: k.stateTopic, Key: []byte(k.unitKey(name)), Value: hb})
}

// unitState reads a unit's state from the latest records of the state
// topic, and notes the set it is in.
func (k *kafkaWatch) readUnitState(name string, latest map[string][]byte) (*kafkaUnitState, bool, error) {
	hb, ok := latest[k.unitKey(name)]
	if !ok {
		return nil, false, nil
	}
	var h unitHead
	if err := json.Unmarshal(hb, &h); err != nil || h.Chunks < 1 || h.Set < 0 || h.Set > 1 {
		return nil, true, fmt.Errorf("not a state of this version (%s)", hb)
	}
	k.sets[name] = h.Set
	var b []byte
	for i := range h.Chunks {
		c, ok := latest[k.chunkKey(name, h.Set, i)]
		if !ok {
			return nil, true, fmt.Errorf("part %d of %d of its state is missing", i+1, h.Chunks)
		}
		b = append(b, c...)
	}
	if len(b) != h.Size || crc32.Checksum(b, castagnoli) != h.CRC {
		return nil, true, errors.New("its state does not hold what its head says")
	}
	var st kafkaUnitState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, true, err
	}
	return &st, true, nil
}

// kafkaWatch is watch on a Kafka topic.
type kafkaWatch struct {
	e          *Engine
	src        KafkaSource
	topic      string
	stateTopic string
	cl         *kgo.Client
	adm        *kadm.Client
	prod       *kgo.Client // writes first states (the consumer may not exist yet)
	opts       []kgo.Opt
	// The spool topic (see kafka_spool.go), when folders are written:
	// its partitions, and a client that writes to the one it is told.
	spoolTopic string
	spoolParts int32
	spoolCl    *kgo.Client
	// shipped is, per unit, what of its spool the spool topic holds;
	// sets, the set of the state records its head names (see unitHead).
	shipped map[string]SpoolState
	sets    map[string]int
	// Under e.mu:
	doms  map[int32]*domain
	next  map[int32]int64
	decs  map[int32]*stream.MessageDecoder
	bad   int
	lastC time.Time
	// commitMu orders checkpoints (poll loop and rebalance callbacks).
	commitMu sync.Mutex
	mu       sync.Mutex // guards cl, set once the consumer exists
}

func (k *kafkaWatch) key(p int32) string         { return "p/" + k.topic + "/" + strconv.Itoa(int(p)) }
func (k *kafkaWatch) unitKey(name string) string { return "u/" + k.topic + "/" + name }

// RunKafka reads src as a member of its consumer group until ctx is done.
// A partition Kafka assigns is restored from the state topic (<group>-
// watch-state, compacted): each unit's window, reorder buffer and open
// incidents, and the partition's event time; its records already in that
// state are not judged again, and the alerts sent after it (by a member
// that died before its next checkpoint) are not sent twice. Checkpoints
// write the state, then commit the offsets; a partition taken away is
// checkpointed before it goes.
func (e *Engine) RunKafka(ctx context.Context, src KafkaSource) error {
	if src.URL.Group == "" {
		return fmt.Errorf("%s: a watch on Kafka needs its consumer group: ?group=NAME", src.URL)
	}
	if _, err := stream.NewMessageDecoder(src.Format); err != nil {
		return err
	}
	k := &kafkaWatch{e: e, src: src, topic: src.URL.Topic, stateTopic: src.URL.Group + "-watch-state",
		doms: map[int32]*domain{}, next: map[int32]int64{}, decs: map[int32]*stream.MessageDecoder{},
		shipped: map[string]SpoolState{}, sets: map[string]int{}}
	k.opts = kafkaOpts(src.URL, e.cfg.Log, src.Dial)
	st := max(src.SessionTimeout, 100*time.Millisecond)
	opts := append(slices.Clone(k.opts),
		kgo.ConsumerGroup(src.URL.Group), kgo.ConsumeTopics(k.topic), kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.SessionTimeout(st), kgo.HeartbeatInterval(max(st/10, 50*time.Millisecond)), kgo.RebalanceTimeout(max(st, 10*time.Second)),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(250*time.Millisecond),
		kgo.OnPartitionsAssigned(k.assigned), kgo.OnPartitionsRevoked(k.revoked), kgo.OnPartitionsLost(k.lost))
	// An admin client of its own, made first: the group's callbacks may
	// run as soon as the consumer exists.
	sctx, cancelGrace := afterGrace(ctx, e.cfg.shutdown())
	defer cancelGrace()
	e.mu.Lock()
	e.sinkCtx = sctx
	e.mu.Unlock()
	admCl, err := kgo.NewClient(k.opts...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer closeWithin(sctx, admCl)
	k.adm, k.prod = kadm.NewClient(admCl), admCl
	if err := waitReachable(ctx, admCl, src.URL, e.cfg.Log); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the broker answered
		}
		return err
	}
	compact := "compact"
	if err := ensureTopic(ctx, k.adm, k.stateTopic, 1, map[string]*string{"cleanup.policy": &compact}); err != nil {
		return err
	}
	if src.DeadLetter != "" {
		if err := ensureTopic(ctx, k.adm, src.DeadLetter, -1, nil); err != nil {
			return err
		}
	}
	if e.spooling() {
		if err := k.openSpoolTopic(ctx, src.URL.Group); err != nil {
			return err
		}
		defer closeWithin(sctx, k.spoolCl)
	}
	e.mu.Lock()
	for _, u := range e.units {
		u.dom = nil // owned once a partition of it is assigned
	}
	err = e.openSpools(nil)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	k.mu.Lock()
	k.cl = cl
	k.mu.Unlock()
	closed := false
	defer func() {
		if !closed {
			closeWithin(sctx, cl)
		}
	}()
	bg, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	bgErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		if err := e.background(bg); err != nil {
			bgErr <- err
			stop()
		}
	}()
	k.lastC = time.Now()
	var runErr error
	for {
		// The poll gives up after a checkpoint period, so that an idle
		// member checkpoints what it did last.
		pctx, cancel := context.WithTimeout(bg, max(e.cfg.CheckpointEvery, 10*time.Millisecond))
		fs := cl.PollFetches(pctx)
		cancel()
		if bg.Err() != nil {
			cl.AllowRebalance()
			break
		}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				e.cfg.Log("kafka %s/%d: %v", t, p, err)
			}
		})
		e.mu.Lock()
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if runErr == nil {
				runErr = k.partition(sctx, &p) // dead letters go out during a graceful stop too
			}
		})
		e.mu.Unlock()
		if runErr == nil && time.Since(k.lastC) >= e.cfg.CheckpointEvery {
			runErr = k.checkpoint(bg, cl, nil)
			if runErr != nil && bg.Err() != nil {
				runErr = nil // stopping: the last checkpoint below is the one
			}
		}
		cl.AllowRebalance()
		if runErr != nil {
			break
		}
	}
	stop()
	wg.Wait()
	select {
	case err := <-bgErr:
		runErr = errors.Join(runErr, err)
	default:
	}
	if runErr == nil {
		// A clean stop: the state goes on from here, in this member or
		// another, if the broker takes it within the shutdown timeout.
		if err := k.checkpoint(sctx, cl, nil); err != nil {
			e.cfg.Log("last checkpoint not written (%v): the next owner goes on from the one before, sending nothing twice", err)
		}
	}
	closed = true
	closeWithin(sctx, cl)
	if err := e.alerts.Flush(sctx); err != nil && runErr == nil && sctx.Err() == nil {
		runErr = err
	}
	return runErr
}

// dom returns partition p's domain.
func (k *kafkaWatch) dom(p int32) *domain {
	d := k.doms[p]
	if d == nil {
		d = &domain{name: k.topic + "/" + strconv.Itoa(int(p)), wm: stream.NewWatermark(k.e.cfg.MaxLateness)}
		k.doms[p] = d
	}
	return d
}

// partition judges a fetch's records of one partition (under e.mu).
func (k *kafkaWatch) partition(ctx context.Context, p *kgo.FetchTopicPartition) error {
	e := k.e
	d := k.dom(p.Partition)
	dec := k.decs[p.Partition]
	if dec == nil {
		dec, _ = stream.NewMessageDecoder(k.src.Format)
		k.decs[p.Partition] = dec
	}
	var routed stream.Routed
	if len(p.Records) > 0 {
		d.seen = e.now()
	}
	for _, r := range p.Records {
		k.next[p.Partition] = r.Offset + 1
		e.metrics.lag.WithLabelValues(r.Topic, strconv.Itoa(int(r.Partition))).Set(float64(max(0, p.HighWatermark-r.Offset-1)))
		var err error
		if ct, _ := header(r, "content-type"); ct == stream.RoutedContentType {
			if err = stream.DecodeRouted(r.Value, &routed); err == nil {
				e.metrics.flows.Inc()
				err = k.routed(d, r, &routed)
			}
		} else {
			err = dec.Decode(r.Value, func(f *flows.Flow) error {
				e.metrics.flows.Inc()
				return e.routeKafka(d, r.Partition, r.Offset, f)
			})
		}
		if err != nil {
			if errors.Is(err, errFatal) {
				return err
			}
			k.badRecord(ctx, r, err)
		}
	}
	return nil
}

// errFatal marks errors that stop the monitor (a spool or alert that cannot
// be written), unlike a malformed record.
var errFatal = errors.New("fatal")

// routed gives a routed record's flow to its unit.
func (k *kafkaWatch) routed(d *domain, r *kgo.Record, rt *stream.Routed) error {
	e := k.e
	u := e.byName[string(r.Key)]
	if u == nil {
		return nil // a unit another watch's train folder has
	}
	if r.Offset < u.skip[r.Partition] {
		return nil // in the restored state already
	}
	if last, ok := u.seen[rt.SourcePartition]; ok && rt.SourceOffset <= last {
		return nil // routed twice (route restarted before it committed)
	}
	if u.seen == nil {
		u.seen = map[int32]int64{}
	}
	u.seen[rt.SourcePartition] = rt.SourceOffset
	f := &rt.Flow
	if f.Src != u.spec.addr && f.Dst != u.spec.addr {
		return fmt.Errorf("a routed flow for %s from %s to %s", u.spec.name, f.Src, f.Dst)
	}
	if u.sources == nil {
		u.sources = map[int32]int64{}
	}
	if _, ok := u.sources[rt.SourcePartition]; !ok {
		u.sources[rt.SourcePartition] = math.MinInt64
	}
	if u.sourceSeen == nil {
		u.sourceSeen = map[int32]time.Time{}
	}
	u.sourceSeen[rt.SourcePartition] = e.now()
	e.offer(d, u, f)
	u.sources[rt.SourcePartition] = max(u.sources[rt.SourcePartition], f.Start)
	d.wm.See(f.Start)
	if err := e.release(u, e.watermark(u)); err != nil {
		return fmt.Errorf("%w: %w", errFatal, err)
	}
	return nil
}

// routeKafka is route for a raw record: units whose restored state holds
// the record already are left out.
func (e *Engine) routeKafka(d *domain, part int32, off int64, f *flows.Flow) error {
	src, dst := e.byHost[f.Src], e.byHost[f.Dst]
	if src != nil && off < src.skip[part] {
		src = nil
	}
	if dst != nil && off < dst.skip[part] {
		dst = nil
	}
	if src == nil && dst == nil {
		d.wm.See(f.Start)
		return nil
	}
	for _, u := range []*unit{src, dst} {
		if u != nil && (u != dst || dst != src) {
			e.offer(d, u, f)
		}
	}
	d.wm.See(f.Start)
	for _, u := range []*unit{src, dst} {
		if u != nil && (u != dst || dst != src) {
			if err := e.release(u, e.watermark(u)); err != nil {
				return fmt.Errorf("%w: %w", errFatal, err)
			}
		}
	}
	return nil
}

// badRecord counts and reports a malformed record, and sends it to the
// dead-letter topic when there is one.
func (k *kafkaWatch) badRecord(ctx context.Context, r *kgo.Record, err error) {
	k.e.metrics.bad.WithLabelValues(r.Topic).Inc()
	k.bad++
	if k.bad <= 10 || k.bad%1000 == 0 {
		k.e.cfg.Log("malformed record %s/%d@%d skipped (%d so far): %v", r.Topic, r.Partition, r.Offset, k.bad, err)
	}
	if k.src.DeadLetter != "" {
		dl := &kgo.Record{Topic: k.src.DeadLetter, Key: r.Key, Value: r.Value, Headers: append(slices.Clone(r.Headers),
			kgo.RecordHeader{Key: "error", Value: []byte(err.Error())},
			kgo.RecordHeader{Key: "source", Value: []byte(fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset))})}
		k.mu.Lock()
		cl := k.cl
		k.mu.Unlock()
		cl.Produce(ctx, dl, func(_ *kgo.Record, err error) {
			if err != nil {
				k.e.cfg.Log("dead-letter %s: %v", k.src.DeadLetter, err)
			}
		})
	}
}

// checkpoint saves the state of the partitions parts (all owned when nil)
// in the state topic, then commits their offsets.
func (k *kafkaWatch) checkpoint(ctx context.Context, cl *kgo.Client, parts []int32) error {
	k.commitMu.Lock()
	defer k.commitMu.Unlock()
	e := k.e
	e.mu.Lock()
	if parts == nil {
		for p := range k.doms {
			parts = append(parts, p)
		}
	}
	slices.Sort(parts)
	if err := e.alerts.Flush(ctx); err != nil {
		e.mu.Unlock()
		return fmt.Errorf("checkpoint: %w", err)
	}
	var recs []*kgo.Record
	var ship []shipJob
	sets := map[string]int{}
	offsets := map[int32]kgo.EpochOffset{}
	all := map[int32]int64{}
	for p, n := range k.next {
		all[p] = n
	}
	for _, p := range parts {
		d := k.doms[p]
		next, ok := k.next[p]
		if d == nil || !ok {
			continue
		}
		mark, err := e.alerts.Mark(ctx, d.name)
		if err != nil {
			e.mu.Unlock()
			return fmt.Errorf("checkpoint: alerts: %w", err)
		}
		b, _ := json.Marshal(partState{Offset: next, Watermark: d.wm.Max, Alerts: mark, Pending: e.pending(d.name)})
		recs = append(recs, &kgo.Record{Topic: k.stateTopic, Key: []byte(k.key(p)), Value: b})
		offsets[p] = kgo.EpochOffset{Epoch: -1, Offset: next}
		for _, u := range e.units {
			if u.dom != d {
				continue
			}
			st, err := e.unitState(u, nil)
			if err != nil {
				e.mu.Unlock()
				return fmt.Errorf("checkpoint: %s: %w", u.spec.name, err)
			}
			// The folder is this member's own; the spool topic holds its
			// rows (shipped below, before the state that counts them).
			st.Spool.Base, st.Spool.BaseCRC = 0, 0
			if u.sp != nil {
				ship = append(ship, shipJobOf(u.spec.name, u.sp, k.shipped[u.spec.name], st.Spool))
			}
			b, err := json.Marshal(kafkaUnitState{UnitState: st, Partition: p, Offsets: all})
			if err != nil {
				e.mu.Unlock()
				return fmt.Errorf("checkpoint: %w", err)
			}
			recs = append(recs, k.unitRecords(u.spec.name, b)...)
			sets[u.spec.name] = 1 - k.sets[u.spec.name]
		}
	}
	e.mu.Unlock()
	k.lastC = time.Now()
	if len(recs) == 0 {
		return nil
	}
	if err := k.ship(ctx, ship); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", k.stateTopic, err)
	}
	// Records sent to the dead-letter topic are written before the
	// offsets past them are committed.
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var cerr error
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{k.topic: offsets}, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		cerr = commitError(resp, err)
	})
	if cerr != nil {
		return fmt.Errorf("checkpoint: commit: %w", cerr)
	}
	// The states are written: the next ones go to the other sets, and the
	// spools' rows that the spool topic and the folders hold are needed
	// no more.
	e.mu.Lock()
	defer e.mu.Unlock()
	for name, set := range sets {
		k.sets[name] = set
	}
	for _, j := range ship {
		if u := e.byName[j.unit]; u != nil && u.sp == j.sp {
			k.shipped[j.unit] = j.to
			if err := j.sp.release(j.to.PredictionsSize); err != nil {
				e.cfg.Log("%s: %v", j.unit, err)
			}
		}
	}
	return nil
}

// openSpoolTopic makes the spool topic (one partition for each of the
// source topic's, kept for good) and the client that writes it.
func (k *kafkaWatch) openSpoolTopic(ctx context.Context, group string) error {
	k.spoolTopic = group + spoolTopicSuffix
	src, err := endOffsets(ctx, k.adm, k.topic)
	if err != nil {
		return err
	}
	keep, del := "-1", "delete"
	if err := ensureTopic(ctx, k.adm, k.spoolTopic, int32(max(1, len(src))),
		map[string]*string{"cleanup.policy": &del, "retention.ms": &keep, "retention.bytes": &keep}); err != nil {
		return err
	}
	parts, err := endOffsets(ctx, k.adm, k.spoolTopic)
	if err != nil {
		return err
	}
	k.spoolParts = int32(len(parts))
	if k.spoolCl, err = kgo.NewClient(append(slices.Clone(k.opts), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(2*spoolChunk))...); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	return nil
}

// assigned restores the partitions Kafka gives this member from the state
// topic.
func (k *kafkaWatch) assigned(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	parts := m[k.topic]
	if len(parts) == 0 {
		return
	}
	e := k.e
	latest := map[string][]byte{}
	err := readRange(ctx, k.opts, k.adm, k.stateTopic, nil, func(r *kgo.Record) {
		latest[string(r.Key)] = r.Value
	})
	if err != nil {
		e.cfg.Log("restore partitions %v: %v; they start afresh", parts, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	restored := 0
	var fresh []int32
	for _, p := range parts {
		d := &domain{name: k.topic + "/" + strconv.Itoa(int(p)), wm: stream.NewWatermark(e.cfg.MaxLateness)}
		k.doms[p] = d
		delete(k.next, p)
		delete(k.decs, p)
		var ps partState
		b, ok := latest[k.key(p)]
		if ok && json.Unmarshal(b, &ps) == nil {
			if !ps.Fresh {
				d.wm.Max = ps.Watermark
				k.next[p] = ps.Offset
			}
			sent, err := e.alerts.Since(ctx, d.name, ps.Alerts)
			if err != nil {
				e.cfg.Log("partition %d: the alerts sent since its checkpoint cannot be read (%v): they may be sent again", p, err)
			}
			e.suppressAll(d.name, sent, ps.Pending)
			continue
		}
		fresh = append(fresh, p)
	}
	if len(fresh) > 0 {
		// A first state at once, before any alert of these partitions is
		// sent: the alerts' mark, from which a successor reads what this
		// member sent should it die before its first checkpoint.
		var recs []*kgo.Record
		for _, p := range fresh {
			mark, err := e.alerts.Mark(ctx, k.doms[p].name)
			if err != nil {
				e.cfg.Log("partition %d: alerts mark: %v", p, err)
				continue
			}
			b, _ := json.Marshal(partState{Alerts: mark, Fresh: true})
			recs = append(recs, &kgo.Record{Topic: k.stateTopic, Key: []byte(k.key(p)), Value: b})
		}
		if err := k.prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			e.cfg.Log("partitions %v: first state not written (%v): if this member dies before its first checkpoint, their alerts may be sent again", fresh, err)
		}
	}
	var rebuilt []*rebuild
	for _, u := range e.units {
		st, ok, err := k.readUnitState(u.spec.name, latest)
		if err != nil {
			e.cfg.Log("%s: its checkpoint does not read (%v): it starts afresh", u.spec.name, err)
			continue
		}
		if !ok || !slices.Contains(parts, st.Partition) {
			continue
		}
		e.reset(u)
		if err := e.restoreUnit(u, &st.UnitState, st.Buffer); err != nil {
			e.cfg.Log("%v: it starts afresh", err)
			e.reset(u)
			continue
		}
		u.dom = k.doms[st.Partition]
		u.skip = st.Offsets
		restored++
		if e.spooling() {
			rebuilt = append(rebuilt, &rebuild{u: u, st: st.Spool})
		}
	}
	if len(rebuilt) > 0 {
		k.rebuildSpools(ctx, rebuilt)
	}
	e.cfg.Log("partitions %v of %s assigned: %d units restored from %s", parts, k.topic, restored, k.stateTopic)
}

// revoked checkpoints the partitions Kafka takes away, then lets their
// units go.
func (k *kafkaWatch) revoked(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	parts := m[k.topic]
	if len(parts) == 0 {
		return
	}
	if err := k.checkpoint(ctx, cl, parts); err != nil {
		k.e.cfg.Log("partitions %v revoked: %v", parts, err)
	}
	k.drop(parts)
}

// lost lets the units of partitions go without a checkpoint: another
// member has them already.
func (k *kafkaWatch) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	if parts := m[k.topic]; len(parts) > 0 {
		k.e.cfg.Log("partitions %v lost (this member was too slow or cut off); their units go to another member", parts)
		k.drop(parts)
	}
}

func (k *kafkaWatch) drop(parts []int32) {
	e := k.e
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range parts {
		d := k.doms[p]
		for _, u := range e.units {
			if d != nil && u.dom == d {
				e.reset(u)
				u.dom = nil
				delete(k.shipped, u.spec.name)
			}
		}
		delete(k.doms, p)
		delete(k.next, p)
		delete(k.decs, p)
	}
}

// commitError returns the error of an offset commit, or of its first
// partition that failed.
func commitError(resp *kmsg.OffsetCommitResponse, err error) error {
	if err != nil || resp == nil {
		return err
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, err)
			}
		}
	}
	return nil
}
