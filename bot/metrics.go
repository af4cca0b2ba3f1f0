package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the Prometheus metrics the bot exports on /metrics.
type Metrics struct {
	Registry *prometheus.Registry

	// Deliveries counts webhook requests by forge, event and outcome
	// (accepted, duplicate, ping, unauthorized, bad_request, too_large,
	// unknown_forge, error). The event is "" until the signature is checked,
	// so unauthenticated callers cannot mint label values.
	Deliveries *prometheus.CounterVec
	// Processed counts processed deliveries by forge, kind and outcome
	// (done, ignored, retry, dead).
	Processed *prometheus.CounterVec
	// ProcessingSeconds is the time a worker spends on one delivery: parse
	// and handlers.
	ProcessingSeconds *prometheus.HistogramVec
	// LagSeconds is the time from a delivery's arrival to its outcome.
	LagSeconds prometheus.Histogram
	// ForgeCalls counts forge API calls by forge, operation and outcome.
	ForgeCalls *prometheus.CounterVec
}

// NewMetrics registers the bot's metrics, Go runtime and process metrics, and
// a queue depth gauge that asks depth (e.g. the store) at each scrape.
func NewMetrics(depth func(context.Context) (int64, error)) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_webhook_deliveries_total",
			Help: "Webhook requests by forge, event and outcome.",
		}, []string{"forge", "event", "outcome"}),
		Processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_deliveries_processed_total",
			Help: "Stored deliveries processed by workers, by forge, event kind and outcome.",
		}, []string{"forge", "kind", "outcome"}),
		ProcessingSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accord_delivery_processing_seconds",
			Help:    "Time a worker spends parsing and handling one delivery.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 4, 10),
		}, []string{"forge"}),
		LagSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "accord_delivery_lag_seconds",
			Help:    "Time from a delivery's arrival to its processing outcome.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
		ForgeCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_forge_api_calls_total",
			Help: "Forge API calls by forge, operation and outcome.",
		}, []string{"forge", "operation", "outcome"}),
	}
	reg.MustRegister(m.Deliveries, m.Processed, m.ProcessingSeconds, m.LagSeconds, m.ForgeCalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if depth != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "accord_queue_depth",
			Help: "Deliveries stored and not yet processed (queued or processing).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := depth(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	return m
}
