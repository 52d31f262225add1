package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/client"
	"fedsync/registry"
)

// offices writes orgs into the streets as their offices would, through
// each street's HTTP API, and remembers every org it left in place so the
// test can check the streets' counts. One goroutine at a time uses it: the
// test, or the background writing between start and stop.
type offices struct {
	streets []*fedNode
	rng     *rand.Rand
	next    int                                   // ids made so far
	turn    int                                   // next street, round-robin
	live    map[area.Code]map[string]registry.Org // street → id → org
	stats   writeStats                            // totals of every write
	running *writing                              // the background writing, if any
	comms   map[area.Code][]area.Division         // communities of each street
}

// writeStats counts what was written.
type writeStats struct {
	Batches, Created, Updated, Deleted int
}

// newOffices prepares writers for the streets.
func newOffices(streets []*fedNode) *offices {
	o := &offices{
		streets: streets,
		rng:     rand.New(rand.NewPCG(2021, 2023)),
		live:    make(map[area.Code]map[string]registry.Org),
		comms:   make(map[area.Code][]area.Division),
	}
	for _, s := range streets {
		o.live[s.area] = make(map[string]registry.Org)
		o.comms[s.area] = area.Children(s.area)
	}
	return o
}

// seed creates n new orgs in every street, in batches of up to 500.
func (o *offices) seed(ctx context.Context, n int) error {
	for _, s := range o.streets {
		for done := 0; done < n; {
			b := min(500, n-done)
			if err := o.post(ctx, s, o.newOrgs(s, b)); err != nil {
				return err
			}
			done += b
		}
	}
	return nil
}

// newOrgs makes n valid orgs of the street's communities, new ids.
func (o *offices) newOrgs(s *fedNode, n int) []registry.Org {
	comms := o.comms[s.area]
	cats, tiers := registry.Categories(), registry.Tiers()
	out := make([]registry.Org, n)
	for i := range out {
		o.next++
		k := o.next
		out[i] = registry.Org{
			ID: fmt.Sprintf("dk-%s-%07d", s.area, k), Community: comms[k%len(comms)].Code,
			Name:     fmt.Sprintf("第%d号睦邻志愿服务队", k),
			Category: cats[k%len(cats)], Tier: tiers[k%len(tiers)],
			Founded: time.Date(2016, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k%2900).Format(time.DateOnly),
			Members: 5 + k%200, Charter: k%2 == 0, PartyBuilding: k%3 == 0, Brand: k%19 == 0,
			Status: registry.StatusActive,
		}
	}
	return out
}

// post upserts orgs into street s and requires each to be created or
// updated.
func (o *offices) post(ctx context.Context, s *fedNode, orgs []registry.Org) error {
	recs := make([]json.RawMessage, len(orgs))
	for i, r := range orgs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		recs[i] = b
	}
	res, err := s.cl.Batch(ctx, registry.KindOrg, client.ModeUpsert, recs)
	if err != nil {
		return fmt.Errorf("batch of %d orgs to %s: %w", len(orgs), s.service, err)
	}
	o.stats.Batches++
	for i, r := range res {
		switch r.Status {
		case client.StatusCreated:
			o.stats.Created++
		case client.StatusUpdated:
			o.stats.Updated++
		default:
			return fmt.Errorf("batch to %s: org %s came back %q (%v), want created or updated", s.service, orgs[i].ID, r.Status, r.Error)
		}
		o.live[s.area][orgs[i].ID] = orgs[i]
	}
	return nil
}

// step writes one batch to the next street: a fifth updates of orgs it
// made there, the rest new; and one time in four it deletes an org.
func (o *offices) step(ctx context.Context, batch int) error {
	s := o.streets[o.turn%len(o.streets)]
	o.turn++
	orgs := o.pick(s, batch/5)
	for i := range orgs {
		orgs[i].Members++
		orgs[i].Status = registry.Statuses()[o.rng.IntN(len(registry.Statuses()))]
	}
	orgs = append(orgs, o.newOrgs(s, batch-len(orgs))...)
	if err := o.post(ctx, s, orgs); err != nil {
		return err
	}
	if o.rng.IntN(4) != 0 {
		return nil
	}
	for _, v := range o.pick(s, 1) {
		if err := s.cl.Delete(ctx, registry.KindOrg, v.ID); err != nil {
			return fmt.Errorf("delete org %s at %s: %w", v.ID, s.service, err)
		}
		delete(o.live[s.area], v.ID)
		o.stats.Deleted++
	}
	return nil
}

// pick returns up to n distinct orgs the offices made in street s.
func (o *offices) pick(s *fedNode, n int) []registry.Org {
	var out []registry.Org
	for _, r := range o.live[s.area] { // map order is random
		if len(out) == n {
			break
		}
		out = append(out, r)
	}
	return out
}

// writing is a run of background writes; stop ends it.
type writing struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // the first failure, read after done
}

// start writes rate records a second in batches of batch, round-robin
// over the streets, until stop. A request in flight when stop is called
// completes, so the offices know the outcome of everything they sent.
func (o *offices) start(rate, batch int) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writing{cancel: cancel, done: make(chan struct{})}
	o.running = w
	every := time.Duration(float64(time.Second) * float64(batch) / float64(rate))
	go func() {
		defer close(w.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if w.err = o.step(context.WithoutCancel(ctx), batch); w.err != nil {
				return
			}
		}
	}()
}

// stop ends the background writing and fails the test if a write failed.
func (o *offices) stop(t *testing.T) {
	t.Helper()
	w := o.running
	if w == nil {
		return
	}
	o.running = nil
	w.cancel()
	<-w.done
	if w.err != nil {
		t.Fatalf("writing to the streets: %v", w.err)
	}
}

// halt ends the background writing, if any, ignoring its outcome: for
// cleanup after a failure.
func (o *offices) halt() {
	if w := o.running; w != nil {
		o.running = nil
		w.cancel()
		<-w.done
	}
}

// failed reports a failure of the background writing so far (without
// stopping it), so a wait can end early.
func (o *offices) failed() bool {
	w := o.running
	if w == nil {
		return false
	}
	select {
	case <-w.done:
		return w.err != nil
	default:
		return false
	}
}
