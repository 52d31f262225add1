package api

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Write results, the values of the result label of fedsync_api_writes_total.
const (
	resultCreated     = "created"
	resultUpdated     = "updated"
	resultUnchanged   = "unchanged"
	resultDeleted     = "deleted"
	resultInvalid     = "invalid"     // refused by the API's own checks
	resultRefused     = "refused"     // refused by the store (exists, not found, conflict)
	resultUnavailable = "unavailable" // the batch could not be applied now
)

// routeUnmatched labels requests no route pattern matched, so that unknown
// paths cannot grow the label set.
const routeUnmatched = "unmatched"

// metrics are the API's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec   // by route pattern and status code
	duration *prometheus.HistogramVec // by route pattern
	writes   *prometheus.CounterVec   // by record kind and result
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedsync_http_requests_total",
			Help: "HTTP API requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fedsync_http_request_duration_seconds",
			Help:    "Time to answer an HTTP API request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedsync_api_writes_total",
			Help: "Record writes requested through the API, by kind and result.",
		}, []string{"kind", "result"}),
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.writes, err = register(reg, m.writes); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c with reg, or returns the collector already
// registered under the same description (a second Server on one registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register api metrics: %w", err)
}

// wrote counts one write of kind k with result r.
func (m *metrics) wrote(k, r string) { m.writes.WithLabelValues(k, r).Inc() }
