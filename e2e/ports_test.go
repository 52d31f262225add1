package e2e

import (
	"net"
	"testing"
)

// freeAddr returns a loopback address nobody listens on: it listens on
// 127.0.0.1:0, notes the port the kernel chose and closes the listener.
// Another process could take the port before it is reused; on loopback in
// a test run that is rare enough.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	return addr
}
