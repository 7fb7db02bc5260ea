package live

import (
	"context"
	"errors"
	"time"

	"github.com/netflow-monitor/monitor/stream"
)

// KafkaSource is a Kafka topic read by a consumer group.
type KafkaSource struct {
	URL            stream.KafkaURL
	Format         string
	DeadLetter     string
	SessionTimeout time.Duration
}

// RunKafka reads src until ctx is done.
func (e *Engine) RunKafka(ctx context.Context, src KafkaSource) error {
	return errors.New("kafka: not yet")
}

// KafkaAlerts sends alerts to a Kafka topic.
func KafkaAlerts(u stream.KafkaURL, log func(string, ...any)) (AlertSink, error) {
	return nil, errors.New("kafka: not yet")
}
