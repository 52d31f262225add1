package node

import (
	"github.com/prometheus/client_golang/prometheus"
)

// syncMetrics are the node's replication metrics, registered on the node's
// own registry (a process may run several nodes: the demo does).
type syncMetrics struct {
	refusedBatches prometheus.Counter
	applySeconds   prometheus.Histogram
	refused        *prometheus.CounterVec // by rule: links, hellos and ranges refused on identity or jurisdiction
	raftRefused    *prometheus.CounterVec // by rule: raft connections refused by the TLS checks
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
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedsync_sync_refused_total",
			Help: "Sync links, hellos and ranges refused on identity or jurisdiction, by rule (untrusted, expired, revoked, no-certificate, wrong-area, sender-area, jurisdiction, ...).",
		}, []string{"rule"}),
		raftRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedsync_raft_refused_total",
			Help: "Raft connections refused by mutual TLS, by rule (a peer of another area: wrong-area).",
		}, []string{"rule"}),
	}
}

func (m *syncMetrics) register(r prometheus.Registerer) {
	r.MustRegister(m.refusedBatches, m.applySeconds, m.refused, m.raftRefused)
}
