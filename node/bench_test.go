package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// benchOrgs returns n valid organizations spread over the test street's
// communities, each about 400–500 bytes of JSON.
func benchOrgs(n int) []registry.Org {
	out := make([]registry.Org, n)
	for i := range out {
		out[i] = benchOrg(i)
	}
	return out
}

// benchOrg returns the i-th organization of benchOrgs.
func benchOrg(i int) registry.Org {
	comms := area.Children(testStreet)
	cats := registry.Categories()
	return registry.Org{ID: fmt.Sprintf("org-%07d", i), Community: comms[i%len(comms)].Code,
		Name: fmt.Sprintf("%s第%d邻里互助志愿服务队", comms[i%len(comms)].Name, i), Category: cats[i%len(cats)],
		Tier: registry.TierFiled, Founded: fmt.Sprintf("20%02d-%02d-15", 15+i%10, 1+i%12), Members: 5 + i%80,
		Leader: "王秀英", LeaderPhone: fmt.Sprintf("139%08d", i), Charter: i%2 == 0, PartyBuilding: i%3 == 0,
		Brand: i%50 == 0, Status: registry.StatusActive}
}

func benchMuts(b testing.TB, orgs []registry.Org) []storage.Mutation {
	muts := make([]storage.Mutation, len(orgs))
	for i, o := range orgs {
		body, err := registry.Encode(o)
		if err != nil {
			b.Fatal(err)
		}
		muts[i] = storage.Mutation{Op: storage.OpPut, Mode: storage.ModeCreate, Kind: registry.KindOrg, ID: o.ID, Body: body}
	}
	return muts
}

func quietNode(b *testing.B, dir string) *Node {
	cfg := testConfig(dir)
	cfg.Limits.RatePerSecond = 0 // no rate limit: the benchmark measures the write path
	n, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	return n
}

// rawBolt writes the same record bodies in batches of 1,000 into a bare
// bbolt file with fsync: the baseline an import is measured against.
func rawBolt(b *testing.B, dir string, muts []storage.Mutation) time.Duration {
	db, err := bolt.Open(filepath.Join(dir, "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	for i := 0; i < len(muts); i += 1000 {
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("org"))
			if err != nil {
				return err
			}
			for _, m := range muts[i:min(i+1000, len(muts))] {
				if err := bk.Put([]byte(m.ID), m.Body); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkImport100k imports 100,000 organizations through raft in
// batches of 1,000 (what `fedsync import` sends), and in the same run
// writes the same bodies raw into bbolt; it reports both rates and their
// ratio (import/raw).
func BenchmarkImport100k(b *testing.B) {
	muts := benchMuts(b, benchOrgs(100_000))
	var size int
	for _, m := range muts {
		size += len(m.Body)
	}
	for b.Loop() {
		dir := b.TempDir()
		raw := rawBolt(b, dir, muts)
		n := quietNode(b, filepath.Join(dir, "node"))
		start := time.Now()
		writeConcurrently(b, n, muts, importInFlight)
		imp := time.Since(start)
		n.Stop()
		b.ReportMetric(float64(len(muts))/raw.Seconds(), "raw_rec/s")
		b.ReportMetric(float64(len(muts))/imp.Seconds(), "import_rec/s")
		b.ReportMetric(raw.Seconds()/imp.Seconds(), "ratio")
		b.ReportMetric(float64(size)/float64(len(muts)), "bytes/rec")
	}
}

// importInFlight is how many 1,000-record batches `fedsync import` keeps
// in flight; the benchmark does the same.
const importInFlight = 4

// writeConcurrently writes muts in batches of 1,000 with up to inFlight
// batches outstanding, as the CLI's import does: raft appends the next
// batches to its log while the store applies the previous one.
func writeConcurrently(b *testing.B, n *Node, muts []storage.Mutation, inFlight int) {
	sem := make(chan struct{}, inFlight)
	errs := make(chan error, len(muts)/1000+1)
	for i := 0; i < len(muts); i += 1000 {
		sem <- struct{}{}
		go func(batch []storage.Mutation) {
			defer func() { <-sem }()
			_, err := n.Write(context.Background(), batch)
			errs <- err
		}(muts[i:min(i+1000, len(muts))])
	}
	for range inFlight {
		sem <- struct{}{}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummary asks for a street's summary with all its communities
// and 5,000 organizations (and, as a sub-benchmark, 50,000: the time must
// not grow with the organizations).
func BenchmarkSummary(b *testing.B) {
	for _, count := range []int{5_000, 50_000} {
		b.Run(fmt.Sprintf("orgs=%d", count), func(b *testing.B) {
			n := quietNode(b, b.TempDir())
			defer n.Stop()
			muts := benchMuts(b, benchOrgs(count))
			for i := 0; i < len(muts); i += 1000 {
				if _, err := n.Write(context.Background(), muts[i:min(i+1000, len(muts))]); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				s, err := n.Summary(testStreet, 2023)
				if err != nil || s.Orgs.Total != int64(count) {
					b.Fatalf("summary: %v, total %d", err, s.Orgs.Total)
				}
			}
		})
	}
}

// BenchmarkAPICreate creates organizations one at a time through the HTTP
// API (one raft entry and one fsync each).
func BenchmarkAPICreate(b *testing.B) {
	n := quietNode(b, b.TempDir())
	defer n.Stop()
	secret := bootstrapToken(b, n)
	url, hc := n.HTTPURL()+"/v1/records/org", testHTTPClient()
	i := 0
	for b.Loop() {
		body, _ := json.Marshal(benchOrg(i))
		i++
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
