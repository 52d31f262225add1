package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
)

// OriginDigest summarises what a store holds of one origin, so that two
// servers (a child and its parent) can tell whether their copies agree.
type OriginDigest struct {
	Origin  area.Code `json:"origin"`
	Seq     uint64    `json:"seq"`     // watermark
	Head    string    `json:"head"`    // hex chain hash at Seq
	Records int64     `json:"records"` // records of the origin held
	Digest  string    `json:"digest"`  // hex SHA-256 over the records, see Digests
}

// Digests returns the digest of every origin inside a (all origins when a
// is ""), in one read transaction. The record digest is SHA-256 over, for
// each kind in registry.Kinds order and each record in id order: kind, id
// and body, each as uvarint length and bytes, where body is the form the
// origin's log holds: the redacted form of the store's own records, the
// stored body of every other origin's (already redacted). So an origin and
// each of its ancestors compute the same digest. It reads every record of
// those origins.
func (s *Store) Digests(a area.Code) ([]OriginDigest, error) {
	var out []OriginDigest
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWM).ForEach(func(k, v []byte) error {
			origin := area.Code(k)
			if a != "" && !a.Contains(origin) {
				return nil
			}
			w, err := decodeWatermark(origin, v)
			if err != nil {
				return err
			}
			d := OriginDigest{Origin: origin, Seq: w.Seq, Head: hex.EncodeToString(w.Chain[:])}
			d.Records, d.Digest, err = s.recordDigest(tx, origin)
			out = append(out, d)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	return out, nil
}

func (s *Store) recordDigest(tx *bolt.Tx, origin area.Code) (int64, string, error) {
	h := sha256.New()
	var n int64
	var buf [binary.MaxVarintLen64]byte
	write := func(b []byte) {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(b)))])
		h.Write(b)
	}
	for _, k := range registry.Kinds {
		p := recPrefix(k, string(origin))
		c := tx.Bucket(bucketRec).Cursor()
		for key, v := c.Seek(p); key != nil && bytes.HasPrefix(key, p); key, v = c.Next() {
			_, id := splitRecKey(k, key)
			_, _, body, err := decodeEnvelope(v)
			if err != nil {
				continue
			}
			if origin == s.area {
				if body, err = s.sentBody(k, body); err != nil {
					return 0, "", fmt.Errorf("digest of %s: %s %q: %w", origin, k, id, err)
				}
			}
			n++
			write([]byte(k))
			write([]byte(id))
			write(body)
		}
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// ChainAt returns the chain hash of origin's entry seq; ErrNotFound when
// the log does not hold it.
func (s *Store) ChainAt(origin area.Code, seq uint64) ([32]byte, error) {
	var c [32]byte
	err := s.view(func(tx *bolt.Tx) error {
		lb := tx.Bucket(bucketLog).Bucket([]byte(origin))
		if lb == nil {
			return fmt.Errorf("origin %s: %w", origin, ErrNotFound)
		}
		v := lb.Get(u64(seq))
		if v == nil {
			return fmt.Errorf("origin %s seq %d: %w", origin, seq, ErrNotFound)
		}
		e, err := decodeEntry(origin, seq, v)
		c = e.Chain
		return err
	})
	return c, err
}
