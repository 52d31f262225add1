package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cliTimeout bounds one CLI command run to completion.
const cliTimeout = 90 * time.Second

// result is what a finished CLI command left.
type result struct {
	args    []string
	stdout  string
	stderr  string
	code    int           // exit code; -1 when killed by a signal
	elapsed time.Duration // wall time of the run
}

func (r result) String() string {
	return fmt.Sprintf("fedsync %s\nexit code %d after %v\nstdout:\n%s\nstderr:\n%s",
		strings.Join(r.args, " "), r.code, r.elapsed.Round(time.Millisecond), r.stdout, r.stderr)
}

// runCLI runs `fedsync args...` to completion and returns its output and
// exit code. It fails the test only when the binary cannot run at all or
// the command outlives cliTimeout.
func runCLI(t testing.TB, args ...string) result {
	t.Helper()
	p := startCLI(t, args...)
	return p.wait(t, cliTimeout)
}

// process is a CLI command running in the background.
type process struct {
	args   []string
	cmd    *exec.Cmd
	stdout bytes.Buffer // written by exec's copying goroutines; read after done
	stderr bytes.Buffer
	start  time.Time
	end    time.Time     // set before done is closed
	done   chan struct{} // closed when the process has exited
	err    error         // from Wait; read after done
}

// startCLI starts `fedsync args...` in the background. The test's cleanup
// kills it if it is still running.
func startCLI(t testing.TB, args ...string) *process {
	t.Helper()
	return startCLIEnv(t, nil, args...)
}

// startCLIEnv is startCLI with the environment env (nil: this process's).
func startCLIEnv(t testing.TB, env []string, args ...string) *process {
	t.Helper()
	p := &process{args: args, done: make(chan struct{})}
	p.cmd = exec.Command(fedsyncBin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start fedsync %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		p.err = p.cmd.Wait()
		p.end = time.Now()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit, killing it and failing the test
// after timeout.
func (p *process) wait(t testing.TB, timeout time.Duration) result {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("still running after %v, killed:\n%s", timeout, p.result())
	}
	return p.result()
}

// result returns what the exited process left; call it after done.
func (p *process) result() result {
	r := result{args: p.args, stdout: p.stdout.String(), stderr: p.stderr.String(), elapsed: p.end.Sub(p.start)}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		r.code = 0
	case errors.As(p.err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code = -1
	}
	return r
}
