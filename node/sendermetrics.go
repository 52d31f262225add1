package node

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// senderCollector exports the upward sender's counters and backlog at
// scrape time, and the age of every origin's data held here.
type senderCollector struct {
	n                                  *Node
	batches, entries, raw, wire        *prometheus.Desc
	ranges, reconnects                 *prometheus.Desc
	inFlight, backlog, backlogBytes    *prometheus.Desc
	oldestAge, connected, ratio, heard *prometheus.Desc
}

func newSenderCollector(n *Node) *senderCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("fedsync_sync_"+name, help, labels, nil)
	}
	return &senderCollector{
		n:            n,
		batches:      d("sender_batches_total", "Batches sent to the parent."),
		entries:      d("sender_entries_total", "Log entries sent to the parent."),
		raw:          d("sender_raw_bytes_total", "Uncompressed payload bytes sent."),
		wire:         d("sender_wire_bytes_total", "Encoded (compressed) batch bytes sent."),
		ranges:       d("sender_ranges_total", "Ranges acknowledged by the parent, by outcome.", "status"),
		reconnects:   d("sender_reconnects_total", "Redials after a failed session."),
		inFlight:     d("sender_in_flight_batches", "Batches sent and not yet acknowledged."),
		backlog:      d("sender_backlog_entries", "Entries the parent has not acknowledged."),
		backlogBytes: d("sender_backlog_bytes", "Estimated bytes of the entries the parent has not acknowledged."),
		oldestAge:    d("sender_oldest_unacked_age_seconds", "Age of the oldest entry the parent lacks (0 without backlog)."),
		connected:    d("sender_parent_connected", "1 while a session to the parent is up."),
		ratio:        d("sender_compression_ratio", "Raw payload bytes per wire byte sent, since start."),
		heard:        d("origin_heard_age_seconds", "Seconds since each origin was last heard from here.", "origin"),
	}
}

func (c *senderCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.batches, c.entries, c.raw, c.wire, c.ranges, c.reconnects,
		c.inFlight, c.backlog, c.backlogBytes, c.oldestAge, c.connected, c.ratio, c.heard} {
		ch <- d
	}
}

func (c *senderCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	if wms, err := c.n.store.Watermarks(); err == nil {
		for _, w := range wms {
			if w.Origin != c.n.cfg.Area && w.HeardFrom > 0 {
				ch <- prometheus.MustNewConstMetric(c.heard, prometheus.GaugeValue, now.Sub(time.Unix(0, w.HeardFrom)).Seconds(), string(w.Origin))
			}
		}
	}
	if c.n.up == nil {
		return
	}
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	s := c.n.up.Stats()
	counter(c.batches, s.BatchesSent)
	counter(c.entries, s.EntriesSent)
	counter(c.raw, s.RawBytes)
	counter(c.wire, s.WireBytes)
	counter(c.ranges, s.RangesApplied, "applied")
	counter(c.ranges, s.RangesDuplicate, "duplicate")
	counter(c.ranges, s.RangesGap, "gap")
	counter(c.ranges, s.RangesRefused, "refused")
	counter(c.reconnects, s.Reconnects)
	gauge(c.inFlight, float64(s.InFlight))
	if s.WireBytes > 0 {
		gauge(c.ratio, float64(s.RawBytes)/float64(s.WireBytes))
	}
	st := c.n.up.Status()
	gauge(c.backlog, float64(st.Totals.Backlog))
	gauge(c.backlogBytes, float64(st.Totals.BacklogBytes))
	gauge(c.oldestAge, st.Totals.AgeSeconds)
	connected := 0.0
	if st.Connected {
		connected = 1
	}
	gauge(c.connected, connected)
}
