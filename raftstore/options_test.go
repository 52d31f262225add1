package raftstore

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"defaults", DefaultOptions(), true},
		{"negative timeout", Options{Timeout: -time.Second}, false},
		{"non-permission mode bits", Options{FileMode: 0o600 | 1<<31}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if got := err == nil; got != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%t", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("Validate() = %v, want it to wrap ErrInvalidOptions", err)
			}
		})
	}
	_, err := Open(filepath.Join(t.TempDir(), "raft.db"), Options{Timeout: -1})
	if !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Open with invalid options: error = %v, want ErrInvalidOptions", err)
	}
}
