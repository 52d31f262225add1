package storage

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
)

// KindAudit is the reserved kind of audit entries: one per accepted write
// through the API, in the same transaction and the same origin log as the
// entries it attributes, after them. It is not a registry kind: it has no
// records, counters or digests, and the API refuses it as a record kind.
// Audit entries replicate upward with the data and are covered by the
// chain; every level keeps them in its audit bucket.
const KindAudit registry.Kind = "audit"

// Attribution says who made a write: the token used, from where, through
// which route. The API fills it in; a client cannot.
type Attribution struct {
	Accessor  string    `json:"accessor"`        // token accessor, or "anonymous" when ACLs are off
	Name      string    `json:"name,omitempty"`  // the token's description
	Role      Role      `json:"role"`            // the token's role
	TokenArea area.Code `json:"token_area"`      // the token's area
	Remote    string    `json:"remote"`          // the client's address, host:port
	Route     string    `json:"route,omitempty"` // "POST /v1/batch"
}

// AuditRecord is the body of an audit entry: the attribution and the seqs
// of the origin's entries it covers, First..Last, all just before it.
type AuditRecord struct {
	Version int `json:"v"` // 1
	Attribution
	First uint64 `json:"first_seq"`
	Last  uint64 `json:"last_seq"`
}

// AuditEntry is an audit record as read back: its origin, seq and time.
type AuditEntry struct {
	Origin area.Code `json:"origin"`
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	AuditRecord
}

// Bounds of an audit record.
const (
	auditVersion   = 1
	maxAuditRemote = 64
	maxAuditRoute  = 128
	anonymous      = "anonymous"
)

// ErrAudit is returned when an audit entry is malformed or forged: it does
// not decode strictly, claims a token area outside its origin, or covers
// seqs that are not just before it. The rule's name is "audit".
var ErrAudit = errors.New("malformed or forged audit entry")

// AuditMutation returns the mutation that asks ApplyLocal to attribute the
// other mutations of its batch to a. It must be the batch's last mutation;
// its Result is the audit entry's (Seq 0 when nothing was written).
func AuditMutation(a Attribution) (Mutation, error) {
	rec := AuditRecord{Version: auditVersion, Attribution: a, First: 1, Last: 1}
	if err := rec.check(); err != nil {
		return Mutation{}, err
	}
	b, err := json.Marshal(a)
	if err != nil {
		return Mutation{}, fmt.Errorf("audit mutation: %w", err)
	}
	return Mutation{Op: OpPut, Mode: ModeUpsert, Kind: KindAudit, ID: a.Accessor, Body: b}, nil
}

// DecodeAudit decodes an audit entry's body strictly: unknown fields,
// trailing bytes, an unknown version or role, an empty accessor, an
// invalid token area or an inverted seq range are refused with ErrAudit.
func DecodeAudit(body []byte) (AuditRecord, error) {
	var r AuditRecord
	if err := strictJSON(body, &r); err != nil {
		return AuditRecord{}, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	if err := r.check(); err != nil {
		return AuditRecord{}, err
	}
	return r, nil
}

func (r AuditRecord) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrAudit, fmt.Sprintf(format, args...))
	}
	switch {
	case r.Version != auditVersion:
		return bad("version %d, want %d", r.Version, auditVersion)
	case r.Accessor == anonymous && r.Role != RoleAnonymous, r.Accessor != anonymous && r.Role.rank() < RoleOperator.rank():
		return bad("role %q cannot write (accessor %q)", r.Role, r.Accessor)
	case r.Accessor != anonymous && (len(r.Accessor) != accessorLen || !isLowerHex(r.Accessor)):
		return bad("accessor %q", r.Accessor)
	case !r.TokenArea.Valid():
		return bad("token_area %q is not a 12-digit division code", r.TokenArea)
	case len(r.Name) > MaxDescription || len(r.Remote) > maxAuditRemote || len(r.Route) > maxAuditRoute:
		return bad("name, remote or route too long")
	case r.First == 0 || r.Last < r.First:
		return bad("seqs %d..%d", r.First, r.Last)
	}
	return nil
}

// checkAuditEntry is the receiver's rule for an audit entry of a remote
// range: it must decode strictly, be a put whose id is the accessor, claim
// a token area inside the entry's origin, and cover seqs just before it.
func checkAuditEntry(e Entry) error {
	if e.Op != OpPut {
		return fmt.Errorf("origin %s seq %d: audit entry with op %s: %w", e.Origin, e.Seq, e.Op, ErrAudit)
	}
	r, err := DecodeAudit(e.Body)
	if err != nil {
		return fmt.Errorf("origin %s seq %d: %w", e.Origin, e.Seq, err)
	}
	switch {
	case e.ID != r.Accessor:
		return fmt.Errorf("origin %s seq %d: audit id %q is not its accessor %q: %w", e.Origin, e.Seq, e.ID, r.Accessor, ErrAudit)
	case !e.Origin.Contains(r.TokenArea):
		return fmt.Errorf("origin %s seq %d: token area %s lies outside the origin: %w", e.Origin, e.Seq, r.TokenArea, ErrAudit)
	case r.Last >= e.Seq:
		return fmt.Errorf("origin %s seq %d: covers seqs %d..%d, not all before it: %w", e.Origin, e.Seq, r.First, r.Last, ErrAudit)
	}
	return nil
}

// auditLocal writes the audit entry a local batch asked for (its last
// mutation, kind KindAudit), covering the seqs the batch produced. A batch
// that produced none writes no audit entry. An audit mutation that is not
// last, or does not decode, aborts the whole transaction: no data is
// stored without the attribution it was sent with.
func (st *txState) auditLocal(t int64, muts []Mutation, results []Result) error {
	first, last := uint64(0), uint64(0)
	for i, m := range muts {
		switch {
		case m.Kind == KindAudit && i != len(muts)-1:
			return fmt.Errorf("audit mutation %d of %d: must be the last: %w", i+1, len(muts), ErrAudit)
		case m.Kind == KindAudit:
		case results[i].Seq != 0 && first == 0:
			first, last = results[i].Seq, results[i].Seq
		case results[i].Seq != 0:
			last = results[i].Seq
		}
	}
	i := len(muts) - 1
	if i < 0 || muts[i].Kind != KindAudit || first == 0 {
		return nil
	}
	var a Attribution
	if err := strictJSON(muts[i].Body, &a); err != nil {
		return fmt.Errorf("audit mutation: %w: %w", ErrAudit, err)
	}
	rec := AuditRecord{Version: auditVersion, Attribution: a, First: first, Last: last}
	if err := rec.check(); err != nil {
		return err
	}
	if !st.s.area.Contains(a.TokenArea) {
		return fmt.Errorf("token area %s lies outside this node's area %s: %w", a.TokenArea, st.s.area, ErrAudit)
	}
	body, _ := json.Marshal(rec) // cannot fail: plain fields
	w, err := st.watermark(st.s.area)
	if err != nil {
		return err
	}
	e := Entry{Origin: st.s.area, Seq: w.Seq + 1, Time: t, Kind: KindAudit, ID: a.Accessor, Op: OpPut, Body: body}
	e.Chain = ChainNext(w.Chain, e)
	if err := st.write(e, body, nil, nil); err != nil {
		return err
	}
	results[i] = Result{Seq: e.Seq, Created: true, Body: body}
	return nil
}

// bucketAudit holds every audit entry this store has applied, its own and
// its descendants': origin(12) seq(8) → record envelope (seq, time, body).
// It is kept when the log is pruned.
var bucketAudit = []byte("audit")

func putAudit(tx *bolt.Tx, e Entry) error {
	b, err := tx.CreateBucketIfNotExists(bucketAudit)
	if err != nil {
		return err
	}
	return b.Put(auditKey(e.Origin, e.Seq), encodeEnvelope(e.Seq, e.Time, e.Body))
}

func auditKey(origin area.Code, seq uint64) []byte {
	return append([]byte(origin), u64(seq)...)
}

// AuditQuery selects audit entries: those of origins inside Area (one
// origin when Area is a node's own area and Exact), after a cursor.
type AuditQuery struct {
	Area  area.Code // origins inside this area; "" = all
	After string    // opaque cursor from the previous page's Next
	Limit int       // 1..MaxPageSize; 0 = DefaultPageSize
}

// AuditPage is one page of audit entries, by origin then seq.
type AuditPage struct {
	Items []AuditEntry `json:"items"`
	Next  string       `json:"next,omitempty"`
}

// Audit returns one page of audit entries.
func (s *Store) Audit(q AuditQuery) (AuditPage, error) {
	q.Limit = max(1, min(cmp0(q.Limit, DefaultPageSize), MaxPageSize))
	prefix := []byte(scanPrefix(q.Area))
	start := prefix
	if q.After != "" {
		after, err := base64.RawURLEncoding.DecodeString(q.After)
		if err != nil || len(after) != 20 || !bytes.HasPrefix(after, prefix) {
			return AuditPage{}, fmt.Errorf("audit: cursor %q: %w", q.After, ErrInvalidCursor)
		}
		start = append(after, 0)
	}
	page := AuditPage{Items: []AuditEntry{}}
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(page.Items) == q.Limit {
				last := page.Items[len(page.Items)-1]
				page.Next = base64.RawURLEncoding.EncodeToString(auditKey(last.Origin, last.Seq))
				return nil
			}
			e, err := auditFrom(k, v)
			if err != nil {
				return err
			}
			if q.Area == "" || q.Area.Contains(e.Origin) {
				page.Items = append(page.Items, e)
			}
		}
		return nil
	})
	return page, err
}

func cmp0(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func auditFrom(k, v []byte) (AuditEntry, error) {
	if len(k) != 20 {
		return AuditEntry{}, fmt.Errorf("audit key %x: %w", k, ErrCorrupt)
	}
	seq, t, body, err := decodeEnvelope(v)
	if err != nil {
		return AuditEntry{}, err
	}
	r, err := DecodeAudit(body)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("stored audit entry %s/%d: %w: %w", k[:12], seq, ErrCorrupt, err)
	}
	return AuditEntry{Origin: area.Code(k[:12]), Seq: seq, Time: time.Unix(0, t).UTC(), AuditRecord: r}, nil
}
