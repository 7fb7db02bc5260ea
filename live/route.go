package live

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/stream"
)

// Router re-keys raw flows by unit for a consumer group of watches.
type Router struct {
	cfg     Config
	byHost  map[netip.Addr]string
	metrics *Metrics
	units   int
}

// NewRouter returns a router to the units cfg selects (as watch selects
// them: the train folder's services with a model, or --model's hosts).
func NewRouter(cfg Config, metrics *Metrics) (*Router, error) {
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	specs, err := selectUnits(&cfg)
	if err != nil {
		return nil, err
	}
	r := &Router{cfg: cfg, byHost: map[netip.Addr]string{}, metrics: metrics, units: len(specs)}
	for _, s := range specs {
		r.byHost[s.addr] = s.name
	}
	return r, nil
}

// Units returns the number of units routed to.
func (r *Router) Units() int { return r.units }

// Route reads src as a member of its consumer group and writes, for every
// flow, one record per watched unit whose host is its source or
// destination (split's rule) to the topic to, keyed by the unit (so all
// of a unit's flows reach one partition, in order), holding the flow
// exactly and where it was read. A batch's offsets are committed once its
// records are written: after a crash some flows are routed again, and
// watch sees them once (see stream.Routed). Malformed records are counted,
// reported with their place, and skipped (or sent to the dead-letter
// topic).
func (r *Router) Route(ctx context.Context, src KafkaSource, to stream.KafkaURL) error {
	if src.URL.Group == "" {
		return fmt.Errorf("%s: route reads Kafka as a consumer group: ?group=NAME", src.URL)
	}
	if _, err := stream.NewMessageDecoder(src.Format); err != nil {
		return err
	}
	log := r.cfg.Log
	st := max(src.SessionTimeout, 100*time.Millisecond)
	opts := append(kafkaOpts(src.URL, log, src.Dial),
		kgo.ConsumerGroup(src.URL.Group), kgo.ConsumeTopics(src.URL.Topic), kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.SessionTimeout(st), kgo.HeartbeatInterval(max(st/10, 50*time.Millisecond)), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Small fetches per partition keep the partitions' flows close in
		// time in the output, so that watch finds few of them late.
		kgo.FetchMaxPartitionBytes(64<<10), kgo.FetchMaxWait(250*time.Millisecond), kgo.ProducerLinger(2*time.Millisecond))
	if !slices.Equal(to.Brokers, src.URL.Brokers) {
		return errors.New("route: --to must be on the cluster of --source")
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	// Closing leaves the group and flushes: a dead or paused broker gets
	// the shutdown timeout, no more.
	sctx, cancel := afterGrace(ctx, r.cfg.shutdown())
	defer cancel()
	defer closeWithin(sctx, cl)
	if err := waitReachable(ctx, cl, src.URL, log); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	adm := kadm.NewClient(cl)
	if err := ensureTopic(ctx, adm, to.Topic, -1, nil); err != nil {
		return err
	}
	if src.DeadLetter != "" {
		if err := ensureTopic(ctx, adm, src.DeadLetter, -1, nil); err != nil {
			return err
		}
	}
	decs := map[int32]*stream.MessageDecoder{}
	ct := []byte(stream.RoutedContentType)
	bad := 0
	var buf []byte
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			cl.AllowRebalance()
			return nil
		}
		fs.EachError(func(t string, p int32, err error) { log("kafka %s/%d: %v", t, p, err) })
		var mu sync.Mutex // promises are called from the client's goroutines
		var perr error
		offsets := map[int32]kgo.EpochOffset{}
		promise := func(_ *kgo.Record, err error) {
			mu.Lock()
			if err != nil && perr == nil {
				perr = err
			}
			mu.Unlock()
		}
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			dec := decs[p.Partition]
			if dec == nil {
				dec, _ = stream.NewMessageDecoder(src.Format)
				decs[p.Partition] = dec
			}
			for _, rec := range p.Records {
				offsets[rec.Partition] = kgo.EpochOffset{Epoch: rec.LeaderEpoch, Offset: rec.Offset + 1}
				r.metrics.lag.WithLabelValues(rec.Topic, strconv.Itoa(int(rec.Partition))).Set(float64(max(0, p.HighWatermark-rec.Offset-1)))
				err := dec.Decode(rec.Value, func(f *flows.Flow) error {
					r.metrics.flows.Inc()
					for i, h := range []netip.Addr{f.Src, f.Dst} {
						name, ok := r.byHost[h]
						if !ok || i == 1 && f.Dst == f.Src {
							continue
						}
						buf = stream.AppendRouted(buf[:0], &stream.Routed{Flow: *f, SourcePartition: rec.Partition, SourceOffset: rec.Offset})
						out := &kgo.Record{Topic: to.Topic, Key: []byte(name), Value: slices.Clone(buf),
							Headers: []kgo.RecordHeader{{Key: "content-type", Value: ct}}}
						cl.Produce(ctx, out, promise)
						r.metrics.routed.Inc()
					}
					return nil
				})
				if err != nil {
					bad++
					r.metrics.bad.WithLabelValues(rec.Topic).Inc()
					if bad <= 10 || bad%1000 == 0 {
						log("malformed record %s/%d@%d skipped (%d so far): %v", rec.Topic, rec.Partition, rec.Offset, bad, err)
					}
					if src.DeadLetter != "" {
						cl.Produce(ctx, &kgo.Record{Topic: src.DeadLetter, Key: rec.Key, Value: rec.Value, Headers: append(slices.Clone(rec.Headers),
							kgo.RecordHeader{Key: "error", Value: []byte(err.Error())},
							kgo.RecordHeader{Key: "source", Value: []byte(fmt.Sprintf("%s/%d@%d", rec.Topic, rec.Partition, rec.Offset))})}, promise)
					}
				}
			}
		})
		if err := cl.Flush(ctx); err != nil {
			cl.AllowRebalance()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("route: %w", err)
		}
		mu.Lock()
		err := perr
		mu.Unlock()
		if err != nil {
			cl.AllowRebalance()
			return fmt.Errorf("route: write %s: %w", to.Topic, err)
		}
		if len(offsets) > 0 {
			var cerr error
			cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{src.URL.Topic: offsets}, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
				cerr = commitError(resp, err)
			})
			if cerr != nil && ctx.Err() == nil {
				log("commit: %v (the flows after the last commit will be routed again; watch sees them once)", cerr)
			}
		}
		cl.AllowRebalance()
	}
}
