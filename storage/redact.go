package storage

import (
	"fmt"

	"fedsync/area"
	"fedsync/registry"
)

// Personal data (DESIGN §7). An origin's record bucket keeps its own
// records in full; the body it logs, which is what its parent receives and
// stores, is the redacted form (registry.Redactor: the policy applied and
// its version appended), and the chain covers that form. So:
//   - ApplyLocal logs Redact(record) and stores the record;
//   - State of the store's own origin sends the redacted form of each
//     record, and Digests digest it, so an origin and its parents agree;
//   - ApplyRemote and InstallState accept only bodies that pass
//     registry.ValidateRedacted, and store them as received;
//   - nothing below the origin can recover a value the policy hashes or
//     keeps, and no rollup counter reads a PII field.

// defaultRedactor is the redactor of a store opened without one: the
// default policy and no hash key, so a record with a value to hash is
// refused (registry.ErrNoHashKey) rather than logged in clear.
func defaultRedactor() *registry.Redactor {
	r, err := registry.NewRedactor(registry.DefaultPolicy(), nil)
	if err != nil {
		panic(err)
	}
	return r
}

// sentBody returns the form of a record of the store's own origin that
// leaves it: body is the full record as stored.
func (s *Store) sentBody(k registry.Kind, body []byte) ([]byte, error) {
	rec, err := registry.Decode(k, body)
	if err != nil {
		return nil, fmt.Errorf("stored %s: %w: %w", k, ErrCorrupt, err)
	}
	return s.opts.Redactor.Redact(rec)
}

// checkStored decodes and checks a stored record body of origin: the
// store's own records in full (registry.Validate), every other origin's in
// redacted form (registry.ValidateRedacted).
func (s *Store) checkStored(origin area.Code, k registry.Kind, body []byte) (registry.Record, error) {
	if origin != s.area {
		return registry.ValidateRedacted(k, body)
	}
	rec, err := registry.Decode(k, body)
	if err != nil {
		return nil, err
	}
	return rec, rec.Validate()
}

// decodeStored decodes a stored record body, full or redacted, without
// checking its rules.
func decodeStored(k registry.Kind, body []byte) (registry.Record, error) {
	rec, _, err := registry.DecodeStored(k, body)
	return rec, err
}
