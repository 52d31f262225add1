package e2e

import (
	"os"
	"testing"

	"fedsync/node"
)

// editConfig rewrites the config file at path with fn applied to it.
func editConfig(t testing.TB, path string, fn func(*node.Config)) {
	t.Helper()
	c, err := node.LoadConfig(path)
	if err != nil {
		t.Fatalf("edit config: %v", err)
	}
	fn(&c)
	if err := os.Remove(path); err != nil {
		t.Fatalf("edit config: %v", err)
	}
	if err := node.WriteConfig(path, c); err != nil {
		t.Fatalf("edit config: %v", err)
	}
}
