// Command fedsync is the one binary of the fedsync federation: it runs a
// server (`fedsync agent`), prepares one (`fedsync init`), starts a
// self-contained demonstration (`fedsync demo`), and talks to a running
// agent over its HTTP API for records, imports, exports and reports.
//
// This package knows flags, signals, output formats and exit codes; all
// the work is done by node (the server), client (the API), importer and
// gen.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time:
//
//	go build -ldflags "-X main.version=1.2.0" ./cmd/fedsync
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
