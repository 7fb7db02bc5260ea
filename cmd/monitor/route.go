package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/live"
	"github.com/netflow-monitor/monitor/stream"
	"github.com/spf13/cobra"
)

func newRouteCmd() *cobra.Command {
	var (
		cfg         = live.DefaultConfig()
		services    []string
		source, to  string
		format      string
		deadLetter  string
		metricsAddr string
		session     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "route",
		Short: "Re-key raw flows from Kafka into a topic keyed by unit, for watches in a consumer group",
		Example: `  monitor route --train-data /srv/train_data \
    --source 'kafka://kafka:9092/flows?group=route' --to kafka://kafka:9092/flows-by-unit`,
		Long: `route reads raw flows from a Kafka topic (goflow2's protobuf or JSON, or any
format run reads, one record a message) as a member of a consumer group, and
writes one record per watched unit a flow touches (its host is the flow's
source or destination) to --to, keyed by the unit: all of a unit's flows
reach one partition, in order, so that "monitor watch" instances in one
consumer group on --to each own whole units. Several routes in one group
share the raw topic's partitions. The units are those watch would watch
with the same --train-data, --service and --model.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !stream.IsKafkaURL(source) || !stream.IsKafkaURL(to) {
				return errors.New("route: --source and --to are Kafka topics: kafka://host:port[,host:port]/topic (--source with ?group=NAME)")
			}
			from, err := stream.ParseKafkaURL(source)
			if err != nil {
				return fmt.Errorf("--source: %w", err)
			}
			dst, err := stream.ParseKafkaURL(to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			for _, s := range services {
				a, err := layout.ParseService(s)
				if err != nil {
					return fmt.Errorf("--service: %w", err)
				}
				cfg.Services = append(cfg.Services, a)
			}
			status := newStatusLine(cmd.ErrOrStderr(), "route", true)
			cfg.Log = status.log
			disarm := shutdownGuard(cmd.Context(), cfg.ShutdownTimeout, status.log)
			defer disarm()
			metrics := live.NewMetrics()
			if metricsAddr != "" {
				addr, err := metrics.Serve(cmd.Context(), metricsAddr)
				if err != nil {
					return err
				}
				status.log("metrics at http://%s/metrics", addr)
			}
			r, err := live.NewRouter(cfg, metrics)
			if err != nil {
				return err
			}
			status.log("routing %s to %s for %s", from, dst, count(r.Units(), "unit"))
			if err := r.Route(cmd.Context(), live.KafkaSource{URL: from, Format: format, DeadLetter: deadLetter, SessionTimeout: session}, dst); err != nil {
				return err
			}
			status.log("stopped") // by a signal: a stopped service has not failed, exit 0
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.TrainRoot, "train-data", cfg.TrainRoot, "train data folder: which units there are")
	f.StringArrayVar(&services, "service", nil, "only this service IP (repeatable)")
	f.StringVar(&cfg.Model, "model", "", "route to the hosts judged by this unit's model (a group name or service IP), as watch --model does")
	f.StringVar(&source, "source", "", "the raw flows: kafka://host:port[,host:port]/topic?group=NAME")
	f.StringVar(&to, "to", "", "the topic keyed by unit: kafka://host:port[,host:port]/topic (created if absent)")
	f.StringVar(&format, "format", "auto", "format of the raw records: auto, goflow2-pb, or a file format")
	f.StringVar(&deadLetter, "dead-letter", "", "send malformed records to this topic (with the error in a header)")
	f.StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics")
	f.DurationVar(&session, "session-timeout", 45*time.Second, "how long the group waits for a route that stopped answering")
	f.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGINT or SIGTERM, give the broker this long to take the last commit, then exit")
	return cmd
}
