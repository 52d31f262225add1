// Package api owns the HTTP API of a fedsync node: the /v1 routes of
// docs/CONTRACTS.md, the write rules every record must pass before it
// reaches raft, problem+json errors (RFC 9457), request logging and
// Prometheus metrics. It talks to the rest of the node only through the
// Backend interface.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves the HTTP API of one node.
type Server struct {
	cfg     Config
	b       Backend
	log     *slog.Logger
	metrics *metrics
	mux     *http.ServeMux
	acl     ACLBackend   // nil when the backend keeps no tokens
	limiter *rateLimiter // per-token request rate
	handler http.Handler
	http    *http.Server

	mu     sync.Mutex // guards closed
	closed bool       // Shutdown was called
}

// New returns a Server answering from b. Zero fields of cfg take their
// defaults (DefaultConfig); the result is validated. The API's metrics are
// registered with cfg.Registry.
func New(cfg Config, b Backend) (*Server, error) {
	if b == nil {
		return nil, errors.New("new api server: backend is nil")
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new api server: %w", err)
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("new api server: %w", err)
	}
	s := &Server{cfg: cfg, b: b, log: cfg.Logger.With("component", "api"), metrics: m}
	s.acl, _ = b.(ACLBackend)
	if s.acl == nil && !cfg.ACLDisabled {
		return nil, errors.New("new api server: ACLs are enabled but the backend keeps no tokens")
	}
	s.limiter = newRateLimiter(cfg.RatePerSecond, cfg.RateBurst, cfg.Now)
	s.mux = http.NewServeMux()
	s.routes()
	s.handler = s.instrument(s.recoverPanics(s.forwardWrites(s.unmatched(s.mux))))
	s.http = &http.Server{
		Addr:              cfg.Addr,
		Handler:           s.handler,
		ReadHeaderTimeout: min(cfg.ReadTimeout, 10*time.Second),
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// routes registers every route of docs/CONTRACTS.md.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.Handle("GET /metrics", s.metricsHandler(promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	})))
	s.handleOpen("GET /v1/status", s.handleStatusACL)
	s.handle("GET /v1/areas/{code}/summary", s.handleSummary)
	s.handle("POST /v1/records/{kind}", s.handleCreate)
	s.handle("GET /v1/records/{kind}", s.handleList)
	s.handle("GET /v1/records/{kind}/{id}", s.handleGet)
	s.handle("PUT /v1/records/{kind}/{id}", s.handleUpdate)
	s.handle("DELETE /v1/records/{kind}/{id}", s.handleDelete)
	s.handle("POST /v1/batch", s.handleBatch)
	s.handle("POST /v1/verify", s.handleVerify)
	s.handle("GET /v1/sync/digests", s.handleDigests)
	s.handle("GET /v1/sync/chain/{origin}/{seq}", s.handleChain)
	s.aclRoutes()
	s.operatorRoutes()
	s.membershipRoutes()
}

// handlerFunc is a route handler that returns its error instead of
// writing it; handle turns the error into a problem answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers an authenticated route: the request's token is
// checked (401), its rate limited (429), and its Identity is in the
// context for the handler's RequireRole and RequireArea checks.
func (s *Server) handle(pattern string, h handlerFunc) {
	s.handleOpen(pattern, func(w http.ResponseWriter, r *http.Request) error {
		r, err := s.guard(r)
		if err != nil {
			return err
		}
		return h(w, r)
	})
}

// guard authenticates r (401) and takes one request from its token's rate
// (429); the returned request carries the Identity.
func (s *Server) guard(r *http.Request) (*http.Request, error) {
	r, err := s.authenticate(r)
	if err != nil {
		return r, err
	}
	id, _ := IdentityOf(r)
	if ok, wait := s.limiter.allow(id.Accessor); !ok {
		return r, s.rateLimited(r, id, wait)
	}
	return r, nil
}

// Handle registers an authenticated route for another package (membership
// and raft operator routes). h must check the role it needs with
// RequireRole; errors it returns are answered as problems.
func (s *Server) Handle(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.handle(pattern, h)
}

// handleOpen registers a route that needs no token (ACL bootstrap).
func (s *Server) handleOpen(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		p := storeProblem(err)
		if p.Status >= 500 {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
		}
		if p.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fedsync"`)
		}
		writeProblem(w, r, p)
	})
}

// metricsHandler requires a viewer token for GET /metrics unless
// MetricsOpen.
func (s *Server) metricsHandler(h http.Handler) http.Handler {
	if s.cfg.MetricsOpen {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := s.authenticate(r)
		if err != nil {
			p := storeProblem(err)
			if p.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="fedsync"`)
			}
			writeProblem(w, r, p)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Handler returns the API's root handler, with logging, metrics and panic
// recovery: for tests and for embedding under another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until Shutdown. It returns nil after
// Shutdown, any other error otherwise.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve api on %s: %w", ln.Addr(), err)
	}
	return nil
}

// ListenAndServe listens on Config.Addr and serves until Shutdown.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen for api: %w", err)
	}
	return s.Serve(ln)
}

// Shutdown stops accepting connections and waits, until ctx ends, for
// requests in progress. Calling it again is harmless.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	done := s.closed
	s.closed = true
	s.mu.Unlock()
	if done {
		return nil
	}
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down api: %w", err)
	}
	return nil
}
