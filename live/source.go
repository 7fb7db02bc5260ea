package live

import (
	"context"

	"github.com/netflow-monitor/monitor/stream"
)

// Source is where a watch's flows come from, as a driver: standard input,
// a file or a folder (LocalSource), or a Kafka topic read by a consumer
// group (KafkaSource). Watch runs the engine on it until its input ends
// or ctx is done; every blocking call it makes takes ctx (or, once ctx is
// done, the shutdown timeout's context), and a stop by ctx is no error.
type Source interface {
	// Name says what the source is, for messages.
	Name() string
	Watch(ctx context.Context, e *Engine) error
}

// LocalSource is a source on this machine (see stream.Local).
type LocalSource struct{ *stream.Local }

// Name says what the source is: "stdin", "file" or "folder", and its path.
func (s LocalSource) Name() string { return s.Kind() + " " + s.Path }

// Watch runs e on the source (see Engine.Run).
func (s LocalSource) Watch(ctx context.Context, e *Engine) error { return e.Run(ctx, s.Local) }

// Name says what the source is: the topic and group.
func (s KafkaSource) Name() string { return s.URL.String() }

// Watch runs e on the topic as a member of the group (see
// Engine.RunKafka).
func (s KafkaSource) Watch(ctx context.Context, e *Engine) error { return e.RunKafka(ctx, s) }
