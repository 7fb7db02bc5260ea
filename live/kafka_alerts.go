package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/stream"
)

// KafkaAlerts sends alerts to a Kafka topic (created if absent), keyed by
// unit and window start, all of a unit's in one partition. Its marks are
// the topic's end offsets: after a restart, the records past them from the
// same domain are the alerts sent since the checkpoint.
func KafkaAlerts(ctx context.Context, u stream.KafkaURL, log func(string, ...any), dial Dialer) (AlertSink, error) {
	opts := append(kafkaOpts(u, log, dial), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(5*time.Millisecond))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("--alerts: %w", err)
	}
	if err := waitReachable(ctx, cl, u, log); err != nil {
		cl.Close()
		return nil, err
	}
	adm := kadm.NewClient(cl)
	if err := ensureTopic(ctx, adm, u.Topic, -1, nil); err != nil {
		cl.Close()
		return nil, fmt.Errorf("--alerts: %w", err)
	}
	ends, err := endOffsets(ctx, adm, u.Topic)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("--alerts: %w", err)
	}
	return &kafkaAlerts{cl: cl, adm: adm, opts: kafkaOpts(u, log, dial), topic: u.Topic, parts: int32(len(ends))}, nil
}

type kafkaAlerts struct {
	cl    *kgo.Client
	adm   *kadm.Client
	opts  []kgo.Opt
	topic string
	parts int32
	mu    sync.Mutex
	err   error // the first failed send, until a Flush reports it
}

func (s *kafkaAlerts) Send(ctx context.Context, a *incident.Alert, domain string) error {
	b, err := a.MarshalLine()
	if err != nil {
		return err
	}
	r := &kgo.Record{Topic: s.topic, Key: []byte(a.Key), Value: b[:len(b)-1], Partition: unitPartition(a.Unit, s.parts),
		Headers: []kgo.RecordHeader{{Key: "domain", Value: []byte(domain)}, {Key: "unit", Value: []byte(a.Unit)}}}
	s.cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
		if err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = fmt.Errorf("send alert to %s: %w", s.topic, err)
			}
			s.mu.Unlock()
		}
	})
	return nil
}

func (s *kafkaAlerts) Flush(ctx context.Context) error {
	if err := s.cl.Flush(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	s.err = nil
	return err
}

func (s *kafkaAlerts) Mark(ctx context.Context, _ string) (json.RawMessage, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	ends, err := endOffsets(ctx, s.adm, s.topic)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ends)
}

func (s *kafkaAlerts) Since(ctx context.Context, domain string, mark json.RawMessage) (map[string]bool, error) {
	from := map[int32]int64{}
	if len(mark) > 0 {
		if err := json.Unmarshal(mark, &from); err != nil {
			return nil, fmt.Errorf("alerts mark: %w", err)
		}
	}
	out := map[string]bool{}
	var bad error
	err := readRange(ctx, s.opts, s.adm, s.topic, from, func(r *kgo.Record) {
		if d, _ := header(r, "domain"); d != domain {
			return
		}
		var a incident.Alert
		if err := json.Unmarshal(r.Value, &a); err != nil {
			bad = fmt.Errorf("%s/%d@%d: an alert does not read: %w", r.Topic, r.Partition, r.Offset, err)
			return
		}
		out[a.Identity()] = true
	})
	if err == nil {
		err = bad
	}
	return out, err
}

func (s *kafkaAlerts) Close(ctx context.Context) error {
	err := s.Flush(ctx)
	closeWithin(ctx, s.cl)
	return err
}
