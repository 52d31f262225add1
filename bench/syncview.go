package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fedsync/node"
)

// senderMetrics are the sender counters a node exports on /metrics that a
// Link sums, by metric name.
var senderMetrics = map[string]func(*Link, uint64){
	"fedsync_sync_sender_batches_total":    func(l *Link, v uint64) { l.Batches += v },
	"fedsync_sync_sender_entries_total":    func(l *Link, v uint64) { l.Entries += v },
	"fedsync_sync_sender_raw_bytes_total":  func(l *Link, v uint64) { l.RawBytes += v },
	"fedsync_sync_sender_wire_bytes_total": func(l *Link, v uint64) { l.WireBytes += v },
	"fedsync_sync_sender_reconnects_total": func(l *Link, v uint64) { l.Reconnects += v },
}

// scrapeSender reads n's sender counters from its /metrics (Prometheus
// text format) into l. It reports false when n exports none (no parent).
func scrapeSender(ctx context.Context, hc *http.Client, n *node.Node, l *Link) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.HTTPURL()+"/metrics", nil)
	if err != nil {
		return false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("metrics of %s: %w", n.Area(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("metrics of %s: %s", n.Area(), resp.Status)
	}
	found := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		add := senderMetrics[name]
		if !ok || add == nil {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return false, fmt.Errorf("metrics of %s: %s: %w", n.Area(), name, err)
		}
		add(l, uint64(v))
		found = true
	}
	return found, sc.Err()
}

// links sums the senders' counters by hop.
func (c *cluster) links(ctx context.Context) ([]Link, error) {
	top := "city"
	if c.county != nil {
		top = "county"
	}
	l, err := c.link(ctx, "street → "+top, c.streets)
	if err != nil || c.county == nil {
		return []Link{l}, err
	}
	l2, err := c.link(ctx, "county → city", []*member{c.county})
	return []Link{l, l2}, err
}

// link sums the counters of ms's senders.
func (c *cluster) link(ctx context.Context, hop string, ms []*member) (Link, error) {
	l := Link{Hop: hop}
	for _, m := range ms {
		ok, err := scrapeSender(ctx, c.pki.hc, m.n, &l)
		if err != nil {
			return l, err
		}
		if ok {
			l.Senders++
		}
	}
	l.BytesPerEntry = ratio(float64(l.WireBytes), float64(l.Entries))
	l.Ratio = ratio(float64(l.RawBytes), float64(l.WireBytes))
	return l, nil
}
