package api

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLimiters bounds the limiters kept; beyond it the table is cleared
// (tokens are few; this only guards memory).
const maxLimiters = 10000

// rateLimiter keeps one token bucket per token accessor.
type rateLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu   sync.Mutex               // guards byID
	byID map[string]*rate.Limiter // accessor → its bucket
}

func newRateLimiter(perSecond float64, burst int, now func() time.Time) *rateLimiter {
	l := rate.Limit(perSecond)
	if perSecond < 0 {
		l = rate.Inf
	}
	return &rateLimiter{limit: l, burst: burst, now: now, byID: map[string]*rate.Limiter{}}
}

// allow takes one request from key's bucket; when it is empty it returns
// false and how long until a request would be allowed.
func (rl *rateLimiter) allow(key string) (bool, time.Duration) {
	if rl.limit == rate.Inf {
		return true, 0
	}
	rl.mu.Lock()
	lim, ok := rl.byID[key]
	if !ok {
		if len(rl.byID) >= maxLimiters {
			clear(rl.byID)
		}
		lim = rate.NewLimiter(rl.limit, rl.burst)
		rl.byID[key] = lim
	}
	rl.mu.Unlock()
	now := rl.now()
	if lim.AllowN(now, 1) {
		return true, 0
	}
	res := lim.ReserveN(now, 1)
	d := res.DelayFrom(now)
	res.CancelAt(now)
	return false, d
}

// rateLimited is the 429 of a token over its rate.
func (s *Server) rateLimited(r *http.Request, id Identity, wait time.Duration) *Problem {
	p := problem(http.StatusTooManyRequests, "rate limit exceeded",
		"token %s sent more than %g requests per second (burst %d); retry after %s. The limit is the node's [limits] rate_per_second and rate_burst",
		id.Accessor, s.cfg.RatePerSecond, s.cfg.RateBurst, wait.Round(time.Millisecond))
	p.Rule, p.Accessor = "rate", id.Accessor
	p.retryAfter = max(wait, time.Second)
	p.Instance = r.URL.Path
	return p
}
