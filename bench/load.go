package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"

	"fedsync/area"
	"fedsync/gen"
	"fedsync/registry"
	"fedsync/storage"
)

// share is what one street writes: the records of the main phase and those
// of the latency phase, encoded before any clock starts so that generating
// them costs the measured system nothing.
type share struct {
	street area.Code
	main   []storage.Mutation
	extra  []storage.Mutation
}

// shareSizes splits entries evenly over n streets, the first streets
// taking one more when it does not divide.
func shareSizes(entries, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = entries / n
		if i < entries%n {
			out[i]++
		}
	}
	return out
}

// buildShares prepares every street's records, in parallel: generated
// (gen.Records, seeded by the street's position) or, when pool is not
// empty, taken from it round-robin across the streets (see rehome).
func buildShares(streets []area.Code, entries, extra int, pool []registry.Org) ([]share, error) {
	sizes := shareSizes(entries, len(streets))
	extras := shareSizes(extra, len(streets))
	out := make([]share, len(streets))
	errs := make([]error, len(streets))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, st := range streets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			muts, err := streetMutations(st, i, len(streets), sizes[i]+extras[i], pool)
			out[i] = share{street: st, main: muts[:sizes[i]], extra: muts[sizes[i]:]}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// streetMutations returns n create mutations of orgs of street, the idx-th
// of nstreets.
func streetMutations(street area.Code, idx, nstreets, n int, pool []registry.Org) ([]storage.Mutation, error) {
	muts := make([]storage.Mutation, 0, n)
	add := func(r registry.Record) error {
		body, err := registry.Encode(r)
		if err != nil {
			return err
		}
		muts = append(muts, storage.Mutation{Op: storage.OpPut, Mode: storage.ModeCreate, Kind: registry.KindOrg, ID: r.RecordID(), Body: body})
		return nil
	}
	if len(pool) == 0 {
		for r := range gen.Records(n, int64(idx+1), street) {
			if err := add(r); err != nil {
				return nil, err
			}
		}
		return muts, nil
	}
	comms := area.Communities(street)
	for k := range n {
		g := k*nstreets + idx
		o := rehome(pool[g%len(pool)], g, comms[k%len(comms)].Code)
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("jsonl record %d (id %q) placed in %s: %w", g%len(pool)+1, pool[g%len(pool)].ID, o.Community, err)
		}
		if err := add(o); err != nil {
			return nil, err
		}
	}
	return muts, nil
}

// rehome places a record of the JSONL pool in community c as the g-th
// record written overall: its id becomes "j<g>-<original id>" (cut to
// registry.MaxIDLen), so ids stay unique however often the pool is cycled;
// every other field is kept.
func rehome(o registry.Org, g int, c area.Code) registry.Org {
	id := fmt.Sprintf("j%d-%s", g, o.ID)
	if len(id) > registry.MaxIDLen {
		id = id[:registry.MaxIDLen]
	}
	o.ID, o.Community = id, c
	return o
}

// LoadJSONL reads org records in the API's JSON form, one per line: either
// the record itself (the body of POST /v1/records/org) or a stored record
// as the API lists it ({"kind": "org", ..., "record": {...}}). Blank lines
// are skipped. The records are used round-robin across the streets, each
// re-homed to a community of its street with a fresh unique id; a file
// shorter than the entries asked for is cycled.
func LoadJSONL(r io.Reader) ([]registry.Org, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), registry.MaxRecordBytes*2)
	var out []registry.Org
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		o, err := decodeLine(b)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read jsonl: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read jsonl: no records")
	}
	return out, nil
}

// decodeLine decodes one line of a JSONL file.
func decodeLine(b []byte) (registry.Org, error) {
	var wrapped struct {
		Kind   registry.Kind   `json:"kind"`
		Record json.RawMessage `json:"record"`
	}
	if json.Unmarshal(b, &wrapped) == nil && wrapped.Record != nil {
		if wrapped.Kind != registry.KindOrg {
			return registry.Org{}, fmt.Errorf("a %q record; only org records are benchmarked", wrapped.Kind)
		}
		b = wrapped.Record
	}
	r, err := registry.Decode(registry.KindOrg, b)
	if err != nil {
		return registry.Org{}, err
	}
	return r.(registry.Org), nil
}

// bodyBytes is the total size of the bodies and ids of the shares: the
// memory the pre-encoded load holds.
func bodyBytes(shares []share) int64 {
	var n int64
	for _, s := range shares {
		for _, ms := range [][]storage.Mutation{s.main, s.extra} {
			for _, m := range ms {
				n += int64(len(m.Body) + len(m.ID))
			}
		}
	}
	return n
}
