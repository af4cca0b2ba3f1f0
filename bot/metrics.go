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
	// busy, unknown_forge, error). The event is "" until the signature is
	// checked, so unauthenticated callers cannot mint label values.
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
	// ForgeCallSeconds is how long forge API calls take, by forge.
	ForgeCallSeconds *prometheus.HistogramVec
	// RateLimitRemaining is each forge's API budget left, as its last
	// answer said.
	RateLimitRemaining *prometheus.GaugeVec
	// Effects counts outbox effects carried out, by forge, op and outcome
	// (done, retry, rate_limited, dead).
	Effects *prometheus.CounterVec
	// CatchUpFound counts what catching up found the forges had not
	// delivered, by forge and kind: "delivery" (a GitHub redelivery asked
	// for), or the event kind of what a Gitea or Forgejo scan found.
	CatchUpFound *prometheus.CounterVec
}

// APICall counts a forge API call: Metrics is the forges.Observer the
// clients report to.
func (m *Metrics) APICall(forge, op, outcome string, took time.Duration) {
	m.ForgeCalls.WithLabelValues(forge, op, outcome).Inc()
	m.ForgeCallSeconds.WithLabelValues(forge).Observe(took.Seconds())
}

// RateLimit records a forge's remaining API budget.
func (m *Metrics) RateLimit(forge string, remaining int) {
	m.RateLimitRemaining.WithLabelValues(forge).Set(float64(remaining))
}

// gauge registers a gauge that calls f at each scrape (-1 when it fails).
func (m *Metrics) gauge(name, help string, f func(context.Context) (int64, error)) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := f(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

// WatchOutbox registers the outbox depth gauge, which asks depth at each
// scrape.
func (m *Metrics) WatchOutbox(depth func(context.Context) (int64, error)) {
	m.gauge("accord_outbox_depth", "Effects on forges stored and not yet carried out (queued or processing).", depth)
}

// WatchIntake registers the gauge of the intake's in-flight body bytes
// (taken from its budget), read at each scrape.
func (m *Metrics) WatchIntake(in *Intake) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accord_intake_inflight_bytes",
		Help: "Bytes of request bodies the intake holds now, of intake.max_inflight_bytes.",
	}, func() float64 { return float64(in.InflightBytes()) }))
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accord_intake_max_inflight_bytes",
		Help: "intake.max_inflight_bytes: the most request bodies may hold at once.",
	}, func() float64 { return float64(in.budget.total) }))
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
		ForgeCallSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accord_forge_api_call_seconds",
			Help:    "Time forge API calls take.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 8),
		}, []string{"forge"}),
		RateLimitRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "accord_forge_rate_limit_remaining",
			Help: "API calls left in the forge's rate limit window, as its last answer said.",
		}, []string{"forge"}),
		Effects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_outbox_effects_total",
			Help: "Outbox effects carried out, by forge, op and outcome.",
		}, []string{"forge", "op", "outcome"}),
		CatchUpFound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_catchup_found_total",
			Help: "What catching up found the forges had not delivered (redeliveries asked for, events found by a scan), by forge and kind.",
		}, []string{"forge", "kind"}),
	}
	reg.MustRegister(m.Deliveries, m.Processed, m.ProcessingSeconds, m.LagSeconds, m.ForgeCalls,
		m.ForgeCallSeconds, m.RateLimitRemaining, m.Effects, m.CatchUpFound,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if depth != nil {
		m.gauge("accord_queue_depth", "Deliveries stored and not yet processed (queued or processing).", depth)
	}
	return m
}
