package api

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"body", func(c *Config) { c.MaxBodyBytes = -1 }, "MaxBodyBytes"},
		{"batch low", func(c *Config) { c.MaxBatch = 0 }, "MaxBatch"},
		{"batch high", func(c *Config) { c.MaxBatch = MaxBatchLimit + 1 }, "MaxBatch"},
		{"read", func(c *Config) { c.ReadTimeout = -time.Second }, "ReadTimeout"},
		{"write", func(c *Config) { c.WriteTimeout = -time.Second }, "WriteTimeout"},
		{"logger", func(c *Config) { c.Logger = nil }, "Logger"},
		{"registry", func(c *Config) { c.Registry = nil }, "Registry"},
		{"gatherer", func(c *Config) { c.Gatherer = nil }, "Gatherer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestNewDefaultsAndErrors(t *testing.T) {
	if _, err := New(Config{}, nil); err == nil {
		t.Error("New with a nil backend succeeded")
	}
	if _, err := New(Config{MaxBatch: -1}, newFakeBackend(testStreet)); err == nil || !strings.Contains(err.Error(), "MaxBatch") {
		t.Errorf("New with MaxBatch -1 = %v, want a MaxBatch error", err)
	}
	s, err := New(Config{}, newFakeBackend(testStreet))
	if err != nil {
		t.Fatalf("New with a zero Config: %v", err)
	}
	if s.cfg.MaxBodyBytes != DefaultMaxBodyBytes || s.cfg.MaxBatch != DefaultMaxBatch || s.cfg.Gatherer == nil {
		t.Errorf("zero Config not defaulted: %+v", s.cfg)
	}
	// A second server on the same registry shares the collectors.
	reg := prometheus.NewRegistry()
	for i := 0; i < 2; i++ {
		if _, err := New(Config{Registry: reg}, newFakeBackend(testStreet)); err != nil {
			t.Fatalf("server %d on one registry: %v", i, err)
		}
	}
}

func TestServeAndShutdown(t *testing.T) {
	s, err := New(Config{Logger: slog.New(slog.DiscardHandler)}, newFakeBackend(testStreet))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ok") {
		t.Errorf("healthz = %d %s", resp.StatusCode, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after Shutdown, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("Serve did not return after Shutdown")
	}
}
