package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/registry"
)

// writerClient is the HTTP client of the background writer and the bulk
// backlog (their goroutines must not call t.Fatal).
var writerClient = &http.Client{Timeout: 30 * time.Second}

// writer posts batches of orgs to random streets at a bounded rate for a
// bounded time, as offices keep working during a fault: mostly new orgs,
// some updates of orgs it made (members and status change), and now and
// then a delete. It runs in its own goroutine; wait joins it.
type writer struct {
	streets []*server
	every   time.Duration // between two batches
	batch   int           // records per batch
	rng     *rand.Rand
	next    int                                // ids made so far
	live    map[string]map[string]registry.Org // street → id → org it made and did not delete
	entries atomic.Int64                       // log entries the streets acknowledged

	cancel context.CancelFunc
	done   chan struct{}
	stats  writerStats // read after done
	err    error       // the first failure; read after done
}

// writerStats counts what the writer did.
type writerStats struct {
	Batches, Created, Updated, Deleted int
	Elapsed                            time.Duration
}

// startWriter starts posting k.Rate records a second in batches of
// k.Batch to the streets, until k.WriteFor has passed or stop is called.
func startWriter(streets []*server, k fedKnobs, seed uint64) *writer {
	ctx, cancel := context.WithTimeout(context.Background(), k.WriteFor)
	w := &writer{
		streets: streets, batch: k.Batch,
		every:  max(time.Millisecond, time.Duration(float64(time.Second)*float64(k.Batch)/float64(k.Rate))),
		rng:    rand.New(rand.NewPCG(seed, 0x0e2e)),
		live:   make(map[string]map[string]registry.Org),
		cancel: cancel, done: make(chan struct{}),
	}
	for _, s := range streets {
		w.live[s.area] = make(map[string]registry.Org)
	}
	go w.run(ctx)
	return w
}

// run posts one batch per tick until ctx ends or a request fails. A
// batch in flight when ctx ends is completed.
func (w *writer) run(ctx context.Context) {
	defer close(w.done)
	defer w.cancel()
	start := time.Now()
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			w.stats.Elapsed = time.Since(start)
			return
		case <-tick.C:
		}
		// A request is never cut by the deadline: the writer must know
		// whether every record it sent was stored.
		if err := w.step(context.WithoutCancel(ctx)); err != nil {
			w.err = err
			w.stats.Elapsed = time.Since(start)
			return
		}
	}
}

// step posts one batch to a random street and sometimes deletes an org.
func (w *writer) step(ctx context.Context) error {
	s := w.streets[w.rng.IntN(len(w.streets))]
	live := w.live[s.area]
	recs := make([]registry.Org, 0, w.batch)
	for _, o := range pickUpdates(w.rng, live, w.batch/5) {
		o.Members++
		o.Status = registry.Statuses()[w.rng.IntN(len(registry.Statuses()))]
		recs = append(recs, o)
	}
	comms := area.Children(area.Code(s.area))
	for len(recs) < w.batch {
		w.next++
		recs = append(recs, fedOrg(fmt.Sprintf("w-%s-%07d", s.area, w.next), w.next, comms))
	}
	res, err := postBatch(ctx, s, api.BatchModeUpsert, recs)
	if err != nil {
		return err
	}
	w.stats.Batches++
	for i, r := range res.Results {
		switch r.Status {
		case api.BatchCreated:
			w.stats.Created++
		case api.BatchUpdated:
			w.stats.Updated++
		default:
			return fmt.Errorf("batch to %s: record %s came back %q, want created or updated", s.area, recs[i].ID, r.Status)
		}
		live[recs[i].ID] = recs[i]
		w.entries.Add(1)
	}
	if w.rng.IntN(4) == 0 {
		return w.deleteOne(ctx, s, live)
	}
	return nil
}

// deleteOne deletes a random org the writer made in street s.
func (w *writer) deleteOne(ctx context.Context, s *server, live map[string]registry.Org) error {
	victims := pickUpdates(w.rng, live, 1)
	if len(victims) == 0 {
		return nil
	}
	id := victims[0].ID
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, apiURL(s.httpAddr)+"/v1/records/org/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := writerClient.Do(req)
	if err != nil {
		return fmt.Errorf("delete org %s at %s: %w", id, s.area, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("delete org %s at %s: %d %s", id, s.area, resp.StatusCode, bytes.TrimSpace(b))
	}
	delete(live, id)
	w.stats.Deleted++
	w.entries.Add(1)
	return nil
}

// pickUpdates returns up to n distinct random orgs of live.
func pickUpdates(rng *rand.Rand, live map[string]registry.Org, n int) []registry.Org {
	if n <= 0 || len(live) == 0 {
		return nil
	}
	var out []registry.Org
	for _, o := range live { // map order is random enough; rng adds a skip
		if rng.IntN(2) == 0 {
			continue
		}
		out = append(out, o)
		if len(out) == n {
			break
		}
	}
	return out
}

// wait waits for the writer to end and returns what it did; the test fails
// if a request failed.
func (w *writer) wait(t testing.TB) writerStats {
	t.Helper()
	<-w.done
	if w.err != nil {
		t.Fatalf("background writer: %v", w.err)
	}
	return w.stats
}

// stop ends the writer early and waits for it.
func (w *writer) stop() {
	w.cancel()
	<-w.done
}

// liveCount returns how many orgs the writer made in street and left.
// Call after done.
func (w *writer) liveCount(street string) int64 { return int64(len(w.live[street])) }

// fedOrg is a valid org of one of comms, varied by n.
func fedOrg(id string, n int, comms []area.Division) registry.Org {
	cats, tiers := registry.Categories(), registry.Tiers()
	return registry.Org{
		ID: id, Community: comms[n%len(comms)].Code,
		Name:     fmt.Sprintf("第%d号邻里互助队", n),
		Category: cats[n%len(cats)], Tier: tiers[n%len(tiers)],
		Founded: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n%3300).Format(time.DateOnly),
		Members: 5 + n%300, Charter: n%2 == 0, PartyBuilding: n%3 == 0, Brand: n%17 == 0,
		Status: registry.StatusActive,
	}
}

// postBatch sends POST /v1/batch of orgs to the API of s, with its admin
// token (set when it started), and requires a 200 with one result per
// record.
func postBatch(ctx context.Context, s *server, mode string, orgs []registry.Org) (api.BatchResponse, error) {
	addr := s.httpAddr
	req := api.BatchRequest{Kind: registry.KindOrg, Mode: mode}
	for _, o := range orgs {
		b, err := json.Marshal(o)
		if err != nil {
			return api.BatchResponse{}, err
		}
		req.Records = append(req.Records, b)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return api.BatchResponse{}, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL(addr)+"/v1/batch", bytes.NewReader(body))
	if err != nil {
		return api.BatchResponse{}, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := writerClient.Do(hreq)
	if err != nil {
		return api.BatchResponse{}, fmt.Errorf("post batch to %s: %w", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return api.BatchResponse{}, fmt.Errorf("post batch to %s: %w", addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		return api.BatchResponse{}, fmt.Errorf("post batch to %s: %d %s", addr, resp.StatusCode, bytes.TrimSpace(b))
	}
	var out api.BatchResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("post batch to %s: decode answer: %w", addr, err)
	}
	if len(out.Results) != len(orgs) {
		return out, fmt.Errorf("post batch to %s: %d results for %d records", addr, len(out.Results), len(orgs))
	}
	return out, nil
}

// writeBacklog creates total new orgs spread over the streets, in batches
// of up to 1000, every street at once, and returns how many each street
// acknowledged and the number of batches (each also wrote an audit entry).
func writeBacklog(streets []*server, total int) (got map[string]int64, batches int, err error) {
	const maxBatch = 1000
	got = make(map[string]int64)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for i, s := range streets {
		n := total / len(streets)
		if i < total%len(streets) {
			n++
		}
		wg.Go(func() {
			comms := area.Children(area.Code(s.area))
			for done := 0; done < n; {
				b := min(maxBatch, n-done)
				orgs := make([]registry.Org, b)
				for j := range orgs {
					orgs[j] = fedOrg(fmt.Sprintf("b-%s-%07d", s.area, done+j), done+j, comms)
				}
				res, err := postBatch(context.Background(), s, api.BatchModeCreate, orgs)
				if err == nil {
					err = allCreated(res)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("backlog of %s: %w", s.area, err))
					mu.Unlock()
					return
				}
				got[s.area] += int64(b)
				batches++
				mu.Unlock()
				done += b
			}
		})
	}
	wg.Wait()
	return got, batches, errors.Join(errs...)
}

// allCreated requires every result of a batch to be "created".
func allCreated(res api.BatchResponse) error {
	for _, r := range res.Results {
		if r.Status != api.BatchCreated {
			return fmt.Errorf("record %d (%s) came back %q, want created: %+v", r.Index, r.ID, r.Status, r.Error)
		}
	}
	return nil
}
