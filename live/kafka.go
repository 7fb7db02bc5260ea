package live

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/netflow-monitor/monitor/stream"
)

// KafkaSource is a Kafka topic read by a consumer group: the group's
// members share its partitions, each reading those Kafka assigns it.
type KafkaSource struct {
	URL stream.KafkaURL
	// Format of the record values (see stream.MessageFormatNames);
	// records of "monitor route" are told by their header.
	Format string
	// DeadLetter, when set, is the topic malformed records go to.
	DeadLetter     string
	SessionTimeout time.Duration
	// Dial, when set, opens the connections to the brokers (a proxy, a
	// test's network that can fail); nil dials directly.
	Dial Dialer
}

// Dialer opens a connection to a broker.
type Dialer func(ctx context.Context, network, host string) (net.Conn, error)

// backoff is the wait before the n-th retry of a Kafka request: 250 ms
// doubling to 30 s.
func backoff(n int) time.Duration {
	d := 250 * time.Millisecond << min(n, 7)
	return min(d, 30*time.Second)
}

// connectLog says when a broker cannot be reached, on the 1st, 2nd, 4th,
// 8th... failure in a row of each broker, so that an unreachable broker is
// said clearly without flooding the log. It is a kgo hook.
type connectLog struct {
	log   func(string, ...any)
	mu    sync.Mutex
	fails map[string]int
}

func (c *connectLog) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	addr := net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port))
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		if c.fails[addr] > 0 {
			c.log("Kafka broker %s reachable again", addr)
		}
		delete(c.fails, addr)
		return
	}
	c.fails[addr]++
	if n := c.fails[addr]; n&(n-1) == 0 {
		c.log("Kafka broker %s unreachable (%d attempts so far): %v; retrying with backoff", addr, n, err)
	}
}

func kafkaOpts(u stream.KafkaURL, log func(string, ...any), dial Dialer) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(u.Brokers...), kgo.RetryBackoffFn(backoff),
		kgo.WithHooks(&connectLog{log: log, fails: map[string]int{}})}
	if dial != nil {
		return append(opts, kgo.Dialer(dial))
	}
	return append(opts, kgo.DialTimeout(5*time.Second))
}

// waitReachable pings the cluster until it answers, saying so while it
// does not, or until ctx is done.
func waitReachable(ctx context.Context, cl *kgo.Client, u stream.KafkaURL, log func(string, ...any)) error {
	for n := 0; ; n++ {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := cl.Ping(pctx)
		cancel()
		if err == nil {
			if n > 0 {
				log("Kafka at %s reachable", strings.Join(u.Brokers, ","))
			}
			return nil
		}
		wait := backoff(n + 2)
		log("Kafka at %s unreachable: %v; retrying in %v", strings.Join(u.Brokers, ","), err, wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("Kafka at %s unreachable: %w", strings.Join(u.Brokers, ","), ctx.Err())
		case <-time.After(wait):
		}
	}
}

// ensureTopic creates topic if it does not exist (partitions -1: the
// broker's default), with configs.
func ensureTopic(ctx context.Context, adm *kadm.Client, topic string, partitions int32, configs map[string]*string) error {
	_, err := adm.CreateTopic(ctx, partitions, -1, configs, topic)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// endOffsets returns the end offset of every partition of topic.
func endOffsets(ctx context.Context, adm *kadm.Client, topic string) (map[int32]int64, error) {
	lo, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	out := map[int32]int64{}
	var errs []error
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			errs = append(errs, o.Err)
			return
		}
		out[o.Partition] = o.Offset
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, errors.Join(errs...))
	}
	return out, nil
}

// readRange reads topic's partitions from the offsets in from up to their
// end offsets now, giving each record to fn.
func readRange(ctx context.Context, opts []kgo.Opt, adm *kadm.Client, topic string, from map[int32]int64, fn func(*kgo.Record)) error {
	ends, err := endOffsets(ctx, adm, topic)
	if err != nil {
		return err
	}
	parts := map[int32]kgo.Offset{}
	for p, end := range ends {
		start := from[p]
		if start < end {
			parts[p] = kgo.NewOffset().At(start)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	left := len(parts)
	done := map[int32]bool{}
	for left > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return fmt.Errorf("read %s: %w", topic, ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if done[r.Partition] {
				return
			}
			if r.Offset >= ends[r.Partition] {
				done[r.Partition] = true
				left--
				return
			}
			fn(r)
			if r.Offset+1 >= ends[r.Partition] {
				done[r.Partition] = true
				left--
			}
		})
	}
	return nil
}

// unitPartition is the partition of a unit's alerts: one per unit, so
// that they keep their order.
func unitPartition(unit string, partitions int32) int32 {
	h := fnv.New32a()
	h.Write([]byte(unit))
	return int32(h.Sum32() % uint32(max(partitions, 1)))
}

func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// closeWithin closes a client, waiting no longer than ctx allows: Close
// leaves the consumer group and flushes, which a dead or paused broker
// can hold for minutes. A client left closing is abandoned to its
// goroutine; the process is stopping.
func closeWithin(ctx context.Context, cl *kgo.Client) {
	done := make(chan struct{})
	go func() {
		cl.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
