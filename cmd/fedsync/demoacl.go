package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"fedsync/client"
)

// demoTokenFile is the file, in a demo node's data directory, that holds
// the node's bootstrap admin token secret.
const demoTokenFile = "admin.token"

// demoClient bootstraps the ACLs of the demo node at addr, keeping the
// admin secret in dir/admin.token (a node kept from an earlier demo run is
// already bootstrapped: its file is read), and returns a client that sends
// it, with the file's path.
func demoClient(ctx context.Context, addr, dir string, opts ...client.Option) (*client.Client, string, error) {
	path := filepath.Join(dir, demoTokenFile)
	c, err := client.New(addr, append([]client.Option{client.WithUserAgent("fedsync-demo/" + version)}, opts...)...)
	if err != nil {
		return nil, "", err
	}
	tc, err := c.Bootstrap(ctx)
	var secret string
	switch {
	case err == nil:
		secret = tc.Secret
		if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
			return nil, "", fmt.Errorf("demo: keep the admin token: %w", err)
		}
	case client.IsStatus(err, http.StatusConflict):
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, "", fmt.Errorf("demo: the node in %s was bootstrapped before, and its token file is unreadable (%v); remove the directory", dir, rerr)
		}
		secret = strings.TrimSpace(string(b))
	default:
		return nil, "", fmt.Errorf("demo: acl bootstrap: %w", err)
	}
	if secret == "" {
		return nil, "", errors.New("demo: empty admin token")
	}
	c, err = client.New(addr, append([]client.Option{client.WithUserAgent("fedsync-demo/" + version), client.WithToken(secret)}, opts...)...)
	return c, path, err
}
