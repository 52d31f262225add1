package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildTimeout bounds `go build` of the binary (a cold build cache
// compiles raft, bbolt, excelize and prometheus).
const buildTimeout = 5 * time.Minute

// fedsyncBin is the binary TestMain built; every test runs it.
var fedsyncBin string

// TestMain builds cmd/fedsync once into a temporary directory. A binary
// that does not build fails the run: the tests never skip silently.
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "fedsync-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	bin, err := buildBinary(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: cannot build the fedsync binary: %v\n", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Printf("e2e: built %s in %v\n", bin, time.Since(start).Round(time.Millisecond))
	}
	fedsyncBin = bin
	if err := setupPKI(dir); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: %v\n", err)
		return 1
	}
	return m.Run()
}

// buildBinary runs `go build -o DIR/fedsync ./cmd/fedsync` in the module
// root and returns the binary's path.
func buildBinary(dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	goTool, err := goCommand()
	if err != nil {
		return "", err
	}
	root, err := moduleRoot(ctx, goTool)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "fedsync")
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/fedsync")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("go build ./cmd/fedsync: timed out after %v:\n%s", buildTimeout, out)
		}
		return "", fmt.Errorf("go build ./cmd/fedsync in %s: %w:\n%s", root, err, out)
	}
	return bin, nil
}

// goCommand finds the go tool: $GOROOT/bin/go when go test set GOROOT,
// else go on $PATH.
func goCommand() (string, error) {
	if gr := os.Getenv("GOROOT"); gr != "" {
		p := filepath.Join(gr, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go tool: %w", err)
	}
	return p, nil
}

// moduleRoot returns the directory of the go.mod that holds this package.
func moduleRoot(ctx context.Context, goTool string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, goTool, "env", "GOMOD")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w: %s", err, stderr.String())
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod), nil
}
