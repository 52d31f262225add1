package sender

import (
	"time"

	"fedsync/area"
)

// Status is the state of the upward link, for `fedsync status` and the API.
type Status struct {
	Area area.Code `json:"area"` // this node
	// Connected is true while a session to the parent is up.
	Connected bool `json:"parent_connected"`
	// Parent is the area of the node that last welcomed this one, and
	// ParentName its division name; Peer names the parent server when the
	// session reports it (optional interface Peer).
	Parent     area.Code `json:"parent_area,omitempty"`
	ParentName string    `json:"parent_name,omitempty"`
	Peer       string    `json:"parent_server,omitempty"`
	// LastSuccess is when the parent last acknowledged a batch.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastError is the last failure (dial, session, source), at LastErrorAt.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`

	Origins []OriginStatus `json:"origins"` // by origin code
	Totals  Totals         `json:"totals"`
}

// OriginStatus is one origin's replication state.
type OriginStatus struct {
	Origin area.Code `json:"origin"`
	Local  uint64    `json:"local_seq"` // highest seq in this node's log
	// Acked is the parent's watermark as last heard (from its Welcome or an
	// ack); 0 until the parent has been heard from.
	Acked        uint64 `json:"acked_seq"`
	Backlog      uint64 `json:"backlog_entries"` // Local - Acked, or 0
	BacklogBytes int64  `json:"backlog_bytes"`   // estimate from the sizes of entries read
	// Oldest is the origin time of the oldest entry the parent lacks
	// (Acked+1), and AgeSeconds how long before the status it was made;
	// zero when there is no backlog.
	Oldest      time.Time `json:"oldest_unacked,omitzero"`
	AgeSeconds  float64   `json:"age_seconds,omitempty"`
	Refusals    uint64    `json:"refusals,omitempty"` // ranges refused by the parent, or not encodable
	LastRefusal string    `json:"last_refusal,omitempty"`
	// HeldUntil is set while the origin waits after a refusal.
	HeldUntil time.Time `json:"held_until,omitzero"`
	// MissingSeq is the seq of an entry the parent needs (to continue, or
	// for its chain) that this node's log no longer holds (pruned); the
	// origin waits for a state transfer or new entries. 0 when none.
	MissingSeq uint64 `json:"missing_seq,omitempty"`
}

// Totals sum the origins.
type Totals struct {
	Origins      int       `json:"origins"`
	Backlog      uint64    `json:"backlog_entries"`
	BacklogBytes int64     `json:"backlog_bytes"`
	Oldest       time.Time `json:"oldest_unacked,omitzero"`
	AgeSeconds   float64   `json:"age_seconds,omitempty"`
}

// Stats are the sender's counters since New, for the node's metrics
// (fedsync_sync_sender_*). Every field but the gauges InFlight and
// PeakInFlight only grows.
type Stats struct {
	BatchesSent uint64 `json:"batches_sent"`
	EntriesSent uint64 `json:"entries_sent"`
	RawBytes    uint64 `json:"raw_bytes"`  // uncompressed payload bytes sent
	WireBytes   uint64 `json:"wire_bytes"` // encoded batch bytes sent

	RangesApplied   uint64 `json:"ranges_applied"`
	RangesDuplicate uint64 `json:"ranges_duplicate"`
	RangesGap       uint64 `json:"ranges_gap"`
	RangesRefused   uint64 `json:"ranges_refused"`
	BatchesRefused  uint64 `json:"batches_refused"` // acks with Error: the session was redialed
	EncodeErrors    uint64 `json:"encode_errors"`   // origins held back because their entries did not encode
	Missing         uint64 `json:"missing"`         // times the source lacked entries the parent needs
	StatesSent      uint64 `json:"states_sent"`     // state transfers sent (origins whose entries were pruned)
	Pings           uint64 `json:"pings"`           // keepalives sent on idle sessions

	Dials      uint64 `json:"dials"`      // dial attempts
	Sessions   uint64 `json:"sessions"`   // sessions welcomed by the parent
	Reconnects uint64 `json:"reconnects"` // redials after a failed session

	InFlight     int `json:"in_flight"`      // batches awaiting their ack now
	PeakInFlight int `json:"peak_in_flight"` // most batches ever awaiting their ack at once
}

// Stats returns a snapshot of the counters.
func (s *Sender) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// count updates the counters under the lock.
func (s *Sender) count(fn func(*Stats)) {
	s.mu.Lock()
	fn(&s.stats)
	s.mu.Unlock()
}

// Status returns the link's state and every origin's backlog. It reads no
// storage: local seqs are as of the sender's last look at the source
// (within Config.Poll while Run runs).
func (s *Sender) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	st := Status{
		Area: s.cfg.Area, Connected: s.link.connected, Parent: s.link.parent, Peer: s.link.peer,
		LastSuccess: s.link.lastSuccess, LastError: s.link.lastError, LastErrorAt: s.link.lastErrorAt,
		Origins: make([]OriginStatus, 0, len(s.order)),
	}
	if st.Parent != "" {
		st.ParentName = area.Name(st.Parent)
	}
	avg := s.averageSize()
	for _, o := range s.order {
		os := OriginStatus{Origin: o.code, Local: o.local, Acked: o.acked, Refusals: o.refusals, LastRefusal: o.lastRefusal, MissingSeq: o.missingSeq}
		os.Backlog, os.BacklogBytes = o.backlog(avg)
		if os.Backlog > 0 && o.oldestSeq == o.acked+1 && o.oldestTime != 0 {
			os.Oldest = time.Unix(0, o.oldestTime).UTC()
			os.AgeSeconds = now.Sub(os.Oldest).Seconds()
		}
		if o.retryAt.After(now) {
			os.HeldUntil = o.retryAt
		}
		st.Origins = append(st.Origins, os)
		st.Totals.add(os)
	}
	return st
}

func (t *Totals) add(os OriginStatus) {
	t.Origins++
	t.Backlog += os.Backlog
	t.BacklogBytes += os.BacklogBytes
	if !os.Oldest.IsZero() && (t.Oldest.IsZero() || os.Oldest.Before(t.Oldest)) {
		t.Oldest, t.AgeSeconds = os.Oldest, os.AgeSeconds
	}
}

// averageSize returns the mean entry size over all origins, the estimate
// for origins not yet read. Call with mu held.
func (s *Sender) averageSize() float64 {
	var sum, n uint64
	for _, o := range s.order {
		sum, n = sum+o.sizeSum, n+o.sizeCount
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}
