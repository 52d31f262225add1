package bench

import (
	"fedsync/node"
	"fedsync/sync/sender"
)

// senderStats returns the counters of n's upward sender (false when n
// sends nowhere).
func senderStats(n *node.Node) (sender.Stats, bool) {
	return sender.Stats{}, false // TODO: the node's sender once wired
}

// links sums the senders' counters by hop.
func (c *cluster) links() []Link {
	top := "city"
	if c.county != nil {
		top = "county"
	}
	hops := []Link{c.link("street → "+top, c.streets)}
	if c.county != nil {
		hops = append(hops, c.link("county → city", []*member{c.county}))
	}
	return hops
}

// link sums the counters of ms's senders.
func (c *cluster) link(hop string, ms []*member) Link {
	l := Link{Hop: hop}
	for _, m := range ms {
		st, ok := senderStats(m.n)
		if !ok {
			continue
		}
		l.Senders++
		l.Batches += st.BatchesSent
		l.Entries += st.EntriesSent
		l.RawBytes += st.RawBytes
		l.WireBytes += st.WireBytes
		l.Reconnects += st.Reconnects
	}
	l.BytesPerEntry = ratio(float64(l.WireBytes), float64(l.Entries))
	l.Ratio = ratio(float64(l.RawBytes), float64(l.WireBytes))
	return l
}
