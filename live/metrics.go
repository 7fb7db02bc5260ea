package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metrics are a monitor's Prometheus metrics, in a registry of their own.
type Metrics struct {
	Registry  *prometheus.Registry
	flows     prometheus.Counter
	bad       *prometheus.CounterVec
	windows   prometheus.Counter
	anomalies *prometheus.CounterVec
	late      *prometheus.CounterVec
	open      *prometheus.GaugeVec
	alerts    *prometheus.CounterVec
	reloads   *prometheus.CounterVec
	lag       *prometheus.GaugeVec
	routed    prometheus.Counter
}

// NewMetrics returns the metrics, registered in a new registry (with the
// Go runtime's and the process's).
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry:  r,
		flows:     prometheus.NewCounter(prometheus.CounterOpts{Name: "monitor_flows_total", Help: "Flows read from the source."}),
		bad:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "monitor_bad_messages_total", Help: "Malformed messages skipped (or sent to the dead-letter topic), by topic."}, []string{"topic"}),
		windows:   prometheus.NewCounter(prometheus.CounterOpts{Name: "monitor_windows_total", Help: "Windows scored."}),
		anomalies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "monitor_anomalous_windows_total", Help: "Windows below their model's threshold, by unit."}, []string{"unit"}),
		late:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "monitor_late_flows_total", Help: "Flows that came later than --max-lateness and were left out of the windows, by unit."}, []string{"unit"}),
		open:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "monitor_open_incidents", Help: "Open incidents, by unit."}, []string{"unit"}),
		alerts:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "monitor_alerts_total", Help: "Incident alerts, by event (open, update, close)."}, []string{"event"}),
		reloads:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "monitor_model_reloads_total", Help: "Models replaced by train and reloaded, by unit."}, []string{"unit"}),
		lag:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "monitor_consumer_lag", Help: "Records of a Kafka partition not yet read, by topic and partition."}, []string{"topic", "partition"}),
		routed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "monitor_routed_records_total", Help: "Records route wrote to the topic keyed by unit."}),
	}
	r.MustRegister(m.flows, m.bad, m.windows, m.anomalies, m.late, m.open, m.alerts, m.reloads, m.lag, m.routed,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// handler routes the metrics endpoint: "GET /metrics" matches GET and
// HEAD; net/http answers other methods on the path with 405 and an Allow
// header, and other paths with 404.
func (m *Metrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	return mux
}

func (m *Metrics) flowsSeen() float64 {
	var d dto.Metric
	if err := m.flows.Write(&d); err != nil {
		return 0
	}
	return d.GetCounter().GetValue()
}

// Serve serves the metrics at http://addr/metrics until ctx is done. The
// endpoint is read-only: it answers GET and HEAD, and any other method
// with 405 Method Not Allowed (and an Allow header saying so).
func (m *Metrics) Serve(ctx context.Context, addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	srv := &http.Server{Handler: m.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener is gone: nothing more to serve
		}
	}()
	return ln.Addr(), nil
}

func (m *Metrics) alertsSent() float64 {
	var total float64
	for _, ev := range []string{"open", "update", "close"} {
		var d dto.Metric
		if err := m.alerts.WithLabelValues(ev).Write(&d); err == nil {
			total += d.GetCounter().GetValue()
		}
	}
	return total
}
