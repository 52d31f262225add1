package node

import (
	"github.com/prometheus/client_golang/prometheus"
)

// syncMetrics are the node's replication metrics, registered on the node's
// own registry (a process may run several nodes: the demo does).
type syncMetrics struct {
	refusedBatches prometheus.Counter
	applySeconds   prometheus.Histogram
}

func newSyncMetrics() *syncMetrics {
	return &syncMetrics{
		refusedBatches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fedsync_sync_received_batches_refused_total",
			Help: "Batches from children refused whole (malformed, over a limit, wrong sender, not leader).",
		}),
		applySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "fedsync_sync_apply_seconds",
			Help:    "Time from receiving a child's batch to its durable apply through raft.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
}

func (m *syncMetrics) register(r prometheus.Registerer) {
	r.MustRegister(m.refusedBatches, m.applySeconds)
}
