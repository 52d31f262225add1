package storage

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
)

// Get returns the record (kind, origin, id); ErrNotFound when absent.
func (s *Store) Get(k registry.Kind, origin area.Code, id string) (Stored, error) {
	var out Stored
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRec).Get(recKey(k, origin, id))
		if v == nil {
			return fmt.Errorf("%s %q of %s: %w", k, id, origin, ErrNotFound)
		}
		var err error
		out, err = storedFrom(k, origin, id, v)
		return err
	})
	return out, err
}

func storedFrom(k registry.Kind, origin area.Code, id string, v []byte) (Stored, error) {
	seq, t, body, err := decodeEnvelope(v)
	if err != nil {
		return Stored{}, err
	}
	return Stored{Kind: k, Origin: origin, ID: id, Seq: seq, Updated: time.Unix(0, t).UTC(), Body: bytes.Clone(body)}, nil
}

// List returns one page of records of q.Kind whose area lies in q.Area and
// whose fields match q.Where, in key order (origin, id). Its cost grows with
// the records scanned, so callers bound pages with Limit.
func (s *Store) List(q ListQuery) (ListPage, error) {
	if q.Limit <= 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit > MaxPageSize {
		q.Limit = MaxPageSize
	}
	prefix := recPrefix(q.Kind, scanPrefix(q.Area))
	start := prefix
	if q.After != "" {
		after, err := base64.RawURLEncoding.DecodeString(q.After)
		if err != nil || !bytes.HasPrefix(after, prefix) {
			return ListPage{}, fmt.Errorf("list: cursor %q: %w", q.After, ErrInvalidCursor)
		}
		start = append(after, 0)
	}
	var page ListPage
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRec).Cursor()
		for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(page.Items) == q.Limit {
				page.Next = base64.RawURLEncoding.EncodeToString(page.lastKey)
				return nil
			}
			origin, id := splitRecKey(q.Kind, k)
			st, err := storedFrom(q.Kind, origin, id, v)
			if err != nil {
				return err
			}
			ok, err := matches(q, st.Body)
			if err != nil {
				return err
			}
			if ok {
				page.Items = append(page.Items, st)
				page.lastKey = bytes.Clone(k)
			}
		}
		return nil
	})
	page.lastKey = nil
	return page, err
}

// scanPrefix returns the origin-code prefix to scan for records in a: the
// origins inside a for a street or above, the community's street for a
// community (whose records are then filtered by area).
func scanPrefix(a area.Code) string {
	switch a.Level() {
	case area.LevelInvalid:
		return ""
	case area.LevelCommunity:
		return string(a.Parent())
	}
	return a.Prefix()
}

func matches(q ListQuery, body []byte) (bool, error) {
	if q.Area.Level() != area.LevelCommunity && len(q.Where) == 0 {
		return true, nil
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return false, fmt.Errorf("list: stored body: %w", ErrCorrupt)
	}
	if q.Area.Level() == area.LevelCommunity {
		rec, err := decodeStored(q.Kind, body)
		if err != nil || !q.Area.Contains(rec.Area()) {
			return false, nil
		}
	}
	for f, want := range q.Where {
		v, ok := m[f]
		if !ok || fmt.Sprint(v) != want {
			return false, nil
		}
	}
	return true, nil
}

// Watermarks returns every origin's watermark, ordered by origin.
func (s *Store) Watermarks() ([]Watermark, error) {
	var out []Watermark
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWM).ForEach(func(k, v []byte) error {
			w, err := decodeWatermark(area.Code(k), v)
			out = append(out, w)
			return err
		})
	})
	return out, err
}

// Entries calls fn for origin's log entries from seq `from` on, in order,
// until fn returns false or the log ends. When entries from `from` on are
// no longer held (pruned, or the origin came by state transfer), it
// returns a *PrunedError.
func (s *Store) Entries(origin area.Code, from uint64, fn func(Entry) bool) error {
	return s.view(func(tx *bolt.Tx) error {
		if f := getFloor(tx, origin); from <= f.seq {
			return &PrunedError{Origin: origin, Floor: f.seq}
		}
		lb := tx.Bucket(bucketLog).Bucket([]byte(origin))
		if lb == nil {
			return nil
		}
		c := lb.Cursor()
		for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
			e, err := decodeEntry(origin, beU64(k), v)
			if err != nil {
				return err
			}
			if !fn(e) {
				return nil
			}
		}
		return nil
	})
}
