package federation

import (
	"math/rand/v2"
	"time"
)

// reconnectLoop tries, every ReconnectInterval, to join one member this
// server reports dead, so that a partitioned pool merges again once the
// network heals (memberlist alone gives up on dead members after
// GossipToTheDeadTime; serf's reconnect does the same job for consul).
func (p *Pool) reconnectLoop() {
	defer p.wg.Done()
	tick := time.NewTicker(p.cfg.ReconnectInterval)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		if p.left.Load() {
			continue
		}
		if m, ok := p.randomDead(); ok {
			p.reconnect(m)
		}
	}
}

// reconnect joins m's gossip address in a goroutine of its own, so that
// Shutdown never waits for it: a dial to an unreachable office can take
// Timings.TCPTimeout. The attempt ends by itself within that bound, and
// what it learns after Shutdown is dropped.
func (p *Pool) reconnect(m Member) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := p.ml.Join([]string{m.Name + "/" + m.GossipAddr}); err != nil {
			p.log.Debug("reconnect to failed member", "member", m.Name, "addr", m.GossipAddr, "err", err)
			return
		}
		p.log.Info("reconnected to failed member", "member", m.Name, "addr", m.GossipAddr)
	}()
	select { // one attempt at a time
	case <-done:
	case <-p.stop:
	}
}

// randomDead picks a member this server reports dead, if any.
func (p *Pool) randomDead() (Member, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var dead []Member
	for _, e := range p.view {
		if e.m.Status == StatusDead && !e.hidden {
			dead = append(dead, e.m)
		}
	}
	if len(dead) == 0 {
		return Member{}, false
	}
	return dead[rand.IntN(len(dead))], true
}
