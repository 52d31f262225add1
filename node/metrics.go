package node

import (
	"github.com/prometheus/client_golang/prometheus"
)

// nodeCollector exposes raft and store state at scrape time.
type nodeCollector struct {
	n         *Node
	applied   *prometheus.Desc
	isLeader  *prometheus.Desc
	originSeq *prometheus.Desc
}

func newNodeCollector(n *Node) *nodeCollector {
	return &nodeCollector{
		n:         n,
		applied:   prometheus.NewDesc("fedsync_raft_applied_index", "Last raft index applied to the store.", nil, nil),
		isLeader:  prometheus.NewDesc("fedsync_raft_leader", "1 when this server is its node's raft leader.", nil, nil),
		originSeq: prometheus.NewDesc("fedsync_storage_origin_seq", "Highest log seq held per origin.", []string{"origin"}, nil),
	}
}

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.applied
	ch <- c.isLeader
	ch <- c.originSeq
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	if idx, err := c.n.store.AppliedIndex(); err == nil {
		ch <- prometheus.MustNewConstMetric(c.applied, prometheus.GaugeValue, float64(idx))
	}
	leader := 0.0
	if c.n.raft != nil && c.n.raft.State().String() == "Leader" {
		leader = 1
	}
	ch <- prometheus.MustNewConstMetric(c.isLeader, prometheus.GaugeValue, leader)
	wms, _ := c.n.store.Watermarks()
	for _, w := range wms {
		ch <- prometheus.MustNewConstMetric(c.originSeq, prometheus.GaugeValue, float64(w.Seq), string(w.Origin))
	}
}
