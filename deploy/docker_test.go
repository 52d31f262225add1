package deploy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cmdTimeout bounds one docker or compose command; upTimeout bounds
// `compose up` and the image build (a cold Go build cache compiles raft,
// bbolt, excelize and prometheus).
const (
	cmdTimeout = 2 * time.Minute
	upTimeout  = 6 * time.Minute
)

// compose runs `docker compose` (or docker-compose 1.x) on one project of
// the mini-province: compose/docker-compose.yml with the test override that
// publishes every node's API on a random port of 127.0.0.1.
type compose struct {
	t       *testing.T
	bin     []string // "docker", "compose" or the docker-compose binary
	project string
	files   []string
	env     []string
}

// findCompose requires a reachable Docker engine and a compose command.
// It fails the test (never skips): the caller asked for the Docker tests.
func findCompose(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("FEDSYNC_DOCKER_TEST=1 but there is no docker command: %v\nInstall Docker (engine and compose), or unset FEDSYNC_DOCKER_TEST", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	if out, err := run(ctx, nil, "docker", "version", "--format", "{{.Server.Version}}"); err != nil {
		t.Fatalf("FEDSYNC_DOCKER_TEST=1 but the Docker engine does not answer: %v\n%s", err, out)
	}
	if _, err := run(ctx, nil, "docker", "compose", "version"); err == nil {
		return []string{"docker", "compose"}
	}
	if p, err := exec.LookPath("docker-compose"); err == nil {
		if _, err := run(ctx, nil, p, "version"); err == nil {
			return []string{p}
		}
	}
	t.Fatal("FEDSYNC_DOCKER_TEST=1 but neither `docker compose` nor `docker-compose` works; install the compose plugin")
	return nil
}

// run runs a command with extra environment and returns its combined
// output, trimmed.
func run(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	s := strings.TrimSpace(out.String())
	if err != nil {
		return s, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return s, nil
}

// cmd runs one compose command on the project, bounded by timeout.
func (c *compose) cmd(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	full := append([]string{}, c.bin[1:]...)
	full = append(full, "-p", c.project)
	for _, f := range c.files {
		full = append(full, "-f", f)
	}
	return run(ctx, c.env, c.bin[0], append(full, args...)...)
}

// must runs a compose command and fails the test if it fails.
func (c *compose) must(args ...string) string {
	c.t.Helper()
	out, err := c.cmd(cmdTimeout, args...)
	if err != nil {
		c.t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// apiAddr returns the host address (127.0.0.1:port) published for the
// service's HTTP API. It changes when the container restarts.
func (c *compose) apiAddr(service string) (string, error) {
	out, err := c.cmd(cmdTimeout, "port", service, "8700")
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, out)
	}
	addr := lastLine(out)
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		return "", fmt.Errorf("port of %s: got %q, want 127.0.0.1:PORT", service, out)
	}
	return addr, nil
}

// containerID returns the id of the service's container.
func (c *compose) containerID(service string) string {
	c.t.Helper()
	id := lastLine(c.must("ps", "-q", service))
	if id == "" {
		c.t.Fatalf("compose ps -q %s: no container", service)
	}
	return id
}

// docker runs a docker command bounded by cmdTimeout and fails the test if
// it fails.
func (c *compose) docker(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := run(ctx, nil, "docker", args...)
	if err != nil {
		c.t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// network returns the name of the one network the container is on (the
// project's fednet, named by compose).
func (c *compose) network(id string) string {
	c.t.Helper()
	nets := strings.Fields(c.docker("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", id))
	if len(nets) != 1 {
		c.t.Fatalf("container %s is on networks %v, want exactly one", id, nets)
	}
	return nets[0]
}

// running reports the container's State.Running.
func (c *compose) running(id string) bool {
	c.t.Helper()
	return c.docker("inspect", "-f", "{{.State.Running}}", id) == "true"
}

// down removes the project's containers, network and volumes.
func (c *compose) down() {
	if out, err := c.cmd(upTimeout, "down", "-v", "--remove-orphans", "--timeout", "5"); err != nil {
		c.t.Errorf("compose down: %v\n%s", err, out)
	}
}

// lastLine returns the last non-empty line of s (compose 1.x may print
// warnings before the answer).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
