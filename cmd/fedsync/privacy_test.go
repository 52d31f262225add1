package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fedsync/node"
)

func TestPrivacyPolicy(t *testing.T) {
	r := runCLI(t, "", "privacy", "policy")
	for _, want := range []string{"Redaction policy 1", "talent.id_number", "身份证号码", "send-hashed", "org.leader_phone"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("privacy policy lacks %q:\n%s", want, r)
		}
	}
	r = runCLI(t, "", "privacy", "policy", "-o", "json")
	var v struct {
		Version int         `json:"version"`
		Fields  []policyRow `json:"fields"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version != 1 || len(v.Fields) != 5 {
		t.Fatalf("privacy policy -o json: %v %+v\n%s", err, v, r)
	}
}

func TestPrivacyKeyCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hash.key")
	r := runCLI(t, "", "privacy", "key", "create", path)
	if r.code != 0 || !strings.Contains(r.stdout, "every street server") {
		t.Fatalf("key create:\n%s", r)
	}
	key, err := node.ReadHashKey(path)
	if err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "privacy", "key", "create", path)
	if k2, _ := node.ReadHashKey(path); r.code != exitError || !strings.Contains(r.stderr, "never replaced") || string(k2) != string(key) {
		t.Fatalf("second key create must refuse and keep the key:\n%s", r)
	}
}

// TestInitHashKey: init of a street creates a key in the data directory
// and says to share it; --hash-key-file uses a given key; a county gets
// none; a bad key file is refused naming the flag.
func TestInitHashKey(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, "", "init", "--insecure-plaintext", "--area", string(testStreet), "--data-dir", dir)
	cfg, err := node.LoadConfig(filepath.Join(dir, node.ConfigFileName))
	if r.code != 0 || err != nil || !strings.Contains(r.stdout, "NEW federation hash key") || cfg.Privacy.HashKeyFile != filepath.Join(dir, "hash.key") {
		t.Fatalf("init of a street: %v %+v\n%s", err, cfg.Privacy, r)
	}
	if _, err := node.ReadHashKey(cfg.Privacy.HashKeyFile); err != nil {
		t.Fatal(err)
	}
	dir2 := t.TempDir()
	r = runCLI(t, "", "init", "--insecure-plaintext", "--area", "210102002000", "--data-dir", dir2, "--hash-key-file", cfg.Privacy.HashKeyFile)
	cfg2, err := node.LoadConfig(filepath.Join(dir2, node.ConfigFileName))
	if r.code != 0 || err != nil || cfg2.Privacy.HashKeyFile != cfg.Privacy.HashKeyFile || strings.Contains(r.stdout, "NEW") {
		t.Fatalf("init with --hash-key-file: %v %+v\n%s", err, cfg2.Privacy, r)
	}
	if _, err := os.Stat(filepath.Join(dir2, "hash.key")); err == nil {
		t.Error("init with --hash-key-file created a key anyway")
	}
	dir3 := t.TempDir()
	if r = runCLI(t, "", "init", "--insecure-plaintext", "--area", "210102000000", "--data-dir", dir3); r.code != 0 || strings.Contains(r.stdout, "hash key") {
		t.Fatalf("init of a county:\n%s", r)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	_ = os.WriteFile(bad, []byte("nope\n"), 0o600)
	if r = runCLI(t, "", "init", "--insecure-plaintext", "--area", string(testStreet), "--data-dir", t.TempDir(), "--hash-key-file", bad); r.code != exitError || !strings.Contains(r.stderr, "--hash-key-file") {
		t.Fatalf("init with a bad key file:\n%s", r)
	}
}
