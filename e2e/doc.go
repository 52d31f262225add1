// Package e2e holds fedsync's real-process end-to-end tests: TestMain builds
// the fedsync binary once, and each test runs agents and CLI commands as
// separate processes on loopback ports, kills them with SIGKILL, restarts
// them on the same data directory and checks what survived through the
// HTTP API and `fedsync verify`. TestFederationConverges runs a federation
// of seven agents (streets → counties → city, each county behind a TCP
// proxy that can cut its link) through kills, cuts and a city outage and
// checks that every level converges. See README.md for how to run them
// and the environment variables that size them.
//
// The package has no code of its own outside its tests.
package e2e
