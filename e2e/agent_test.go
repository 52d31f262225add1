package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"fedsync/node"
)

// Deadlines of the agent harness.
const (
	healthTimeout = 30 * time.Second // start to /healthz answering 200
	exitTimeout   = 15 * time.Second // kill or SIGTERM to the process gone
	pollInterval  = 20 * time.Millisecond
)

// server is one fedsync server prepared by `fedsync init` in its own
// temporary data directory, run as an `fedsync agent` process.
type server struct {
	t        testing.TB
	area     string
	dataDir  string
	config   string // DIR/fedsync.toml
	httpAddr string // host:port of the API
	raftAddr string
	syncAddr string // host:port children's sync links connect to
	logPath  string // stdout and stderr of every run, appended
	runs     int
	token    string // admin token secret, from the first bootstrap (acl_harness_test.go)

	proc *agentProc // the current run; nil before the first start
}

// agentProc is one run of `fedsync agent`.
type agentProc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // from Wait; read after done
}

// newServer runs `fedsync init` for area in a fresh temporary directory on
// free loopback ports. init has no flag for sync_addr, so the config is
// then rewritten with a free one: every agent binds its sync address, and
// the default port would collide between tests running in parallel. The
// agent's log is printed if the test fails.
func newServer(t testing.TB, area string) *server {
	t.Helper()
	s := newServerDirs(t, area)
	tc := issueCert(t, area, area+"-e2e")
	r := runCLI(t, "init", "--area", area, "--data-dir", s.dataDir,
		"--http-addr", s.httpAddr, "--raft-addr", s.raftAddr,
		"--tls-ca", tc.CAFile, "--tls-cert", tc.CertFile, "--tls-key", tc.KeyFile, "--tls-crl", tc.CRLFile)
	if r.code != 0 {
		t.Fatalf("fedsync init failed:\n%s", r)
	}
	if _, err := os.Stat(s.config); err != nil {
		t.Fatalf("fedsync init wrote no config: %v\n%s", err, r)
	}
	editConfig(t, s.config, func(c *node.Config) {
		c.SyncAddr = s.syncAddr
		c.Limits.RatePerSecond = 0 // the tests poll hard; the rate limit has its own tests
	})
	return s
}

// newServerDirs prepares the paths and free ports of a server of area in
// a fresh temporary directory, without writing anything there.
func newServerDirs(t testing.TB, area string) *server {
	t.Helper()
	base := t.TempDir()
	s := &server{
		t: t, area: area,
		dataDir:  filepath.Join(base, "data"),
		httpAddr: freeAddr(t), raftAddr: freeAddr(t), syncAddr: freeAddr(t),
		logPath: filepath.Join(base, "agent.log"),
	}
	s.config = filepath.Join(s.dataDir, node.ConfigFileName)
	t.Cleanup(s.printLogOnFailure)
	return s
}

// printLogOnFailure prints the agent's log when the test failed. It runs
// after the agent has been stopped (cleanups run last-in first-out).
func (s *server) printLogOnFailure() {
	if !s.t.Failed() {
		return
	}
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		s.t.Logf("agent log %s: %v", s.logPath, err)
		return
	}
	s.t.Logf("agent log %s:\n%s", s.logPath, b)
}

// start runs `fedsync agent -config FILE` and waits until /healthz answers.
func (s *server) start() {
	s.t.Helper()
	s.launch()
	s.waitHealthy()
	s.ensureToken()
}

// launch starts the agent process without waiting for it to be ready. Its
// output is appended to the log file.
func (s *server) launch() {
	s.t.Helper()
	if s.proc != nil && !s.proc.exited() {
		s.t.Fatalf("start agent: run %d is still running", s.runs)
	}
	s.runs++
	s.proc = startAgent(s.t, s.logPath, fmt.Sprintf("=== run %d", s.runs), "agent", "-config", s.config)
}

// startAgent starts `fedsync args...` with stdout and stderr appended to
// logPath after a marker line. The test's cleanup stops it.
func startAgent(t testing.TB, logPath, marker string, args ...string) *agentProc {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("open agent log: %v", err)
	}
	defer f.Close() // the child has its own copy
	fmt.Fprintf(f, "%s: fedsync %v\n", marker, args)
	p := &agentProc{cmd: exec.Command(fedsyncBin, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start fedsync agent: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// exited reports whether the process has exited.
func (p *agentProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitCode returns the exit code of an exited process (-1: killed by a
// signal).
func (p *agentProc) exitCode() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// waitExit waits for the process to exit, up to timeout.
func (p *agentProc) waitExit(timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return true
	case <-timer.C:
		return false
	}
}

// stop ends the process with SIGTERM, then SIGKILL if it lingers.
func (p *agentProc) stop(t testing.TB) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if p.waitExit(exitTimeout) {
		return
	}
	t.Errorf("agent ignored SIGTERM for %v; killing it", exitTimeout)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// kill sends SIGKILL to the agent and waits until it is gone.
func (s *server) kill() {
	s.t.Helper()
	if err := s.proc.cmd.Process.Kill(); err != nil {
		s.t.Fatalf("kill -9 agent: %v", err)
	}
	if !s.proc.waitExit(exitTimeout) {
		s.t.Fatalf("agent still running %v after SIGKILL", exitTimeout)
	}
}

// waitHealthy polls GET /healthz until it answers 200, failing the test if
// the agent exits first or healthTimeout passes.
func (s *server) waitHealthy() {
	s.t.Helper()
	hc := &http.Client{Timeout: time.Second, Transport: httpClient.Transport}
	deadline := time.Now().Add(healthTimeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		resp, err := hc.Get(apiURL(s.httpAddr) + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-s.proc.done:
			s.t.Fatalf("agent exited with code %d before /healthz answered (last: %v)", s.proc.exitCode(), err)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("agent /healthz did not answer 200 within %v (last: %v)", healthTimeout, err)
		}
	}
}

// cli runs a CLI command against this server's API.
func (s *server) cli(args ...string) result {
	s.t.Helper()
	return startCLIEnv(s.t, s.tokenEnv(), append(args, "--http-addr", s.httpAddr)...).wait(s.t, cliTimeout)
}

// cliBackground starts a CLI command against this server's API.
func (s *server) cliBackground(args ...string) *process {
	s.t.Helper()
	return startCLIEnv(s.t, s.tokenEnv(), append(args, "--http-addr", s.httpAddr)...)
}
