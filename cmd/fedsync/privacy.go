package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/node"
	"fedsync/registry"
)

// newPrivacyCmd is `fedsync privacy`: the redaction policy and the
// federation's hash key.
func newPrivacyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "privacy",
		Short: "Show the personal-data policy; create the federation's hash key",
		Long: `Residents' names, phone numbers and ID numbers stay at the street that
records them. What leaves the street, and so what every county, city and
the province hold, is the redacted form the policy gives each field: here a
keyed hash, made with the federation's hash key (docs/SECURITY.md,
"Personal data").`,
		Example: `  fedsync privacy policy
  fedsync privacy key create /etc/fedsync/hash.key`,
		Args: args(cobra.NoArgs),
	}
	key := &cobra.Command{Use: "key", Short: "Manage the federation's hash key", Args: args(cobra.NoArgs),
		Example: `  fedsync privacy key create /etc/fedsync/hash.key`}
	key.AddCommand(newPrivacyKeyCreateCmd(a))
	cmd.AddCommand(newPrivacyPolicyCmd(a), key)
	return cmd
}

func newPrivacyPolicyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "policy",
		Short: "Print what leaves the street of each personal-data field",
		Long: `Print the redaction policy origins apply today: for every field marked PII,
the action (send, keep-at-origin, send-masked, send-hashed) and why.
Fields not listed are sent unchanged. docs/RECORDS.md explains the actions.`,
		Example: `  fedsync privacy policy
  fedsync privacy policy -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return a.printPolicy(registry.DefaultPolicy()) },
	}
}

// policyRow is one field of `privacy policy -o json`.
type policyRow struct {
	Kind   registry.Kind `json:"kind"`
	Field  string        `json:"field"`
	Label  string        `json:"label"`
	Action string        `json:"action"`
	Why    string        `json:"why"`
}

func (a *app) printPolicy(p *registry.Policy) error {
	var rows []policyRow
	for _, r := range p.Rules() {
		s, _ := spec(r.Kind, r.Field)
		rows = append(rows, policyRow{Kind: r.Kind, Field: r.Field, Label: s.Label, Action: r.Action.String(), Why: r.Why})
	}
	if a.json() {
		return printJSON(a.stdout, map[string]any{"version": p.Version(), "fields": rows})
	}
	fmt.Fprintf(a.stdout, "Redaction policy %d: what leaves the street (every other field is sent unchanged)\n\n", p.Version())
	t := newTable("FIELD", "LABEL", "LEAVES AS", "WHY")
	for _, r := range rows {
		t.add(string(r.Kind)+"."+r.Field, r.Label, r.Action, r.Why)
	}
	return t.write(a.stdout)
}

func newPrivacyKeyCreateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "create FILE",
		Short: "Create the federation's hash key in FILE",
		Long: `Create a new random hash key (32 bytes, base64 on one line) in FILE, mode
0600; an existing file is never replaced. Create it ONCE for the whole
federation and copy the same file to every street server, then point
[privacy] hash_key_file of each street's config at it. Streets with
different keys still work, but then one person hashes differently at each,
and higher levels can no longer count distinct people across them.
Counties, cities and the province do not need the key: keep it off them, so
that their holders cannot test guesses against the hashes.`,
		Example: `  fedsync privacy key create /etc/fedsync/hash.key
  scp /etc/fedsync/hash.key street-2:/etc/fedsync/hash.key`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, argv []string) error {
			if err := node.CreateHashKey(argv[0]); err != nil {
				if errors.Is(err, fs.ErrExist) {
					return usagef("%s exists; a hash key is never replaced (a new key changes every hash)", argv[0])
				}
				return err
			}
			fmt.Fprintf(a.stdout, "Created the federation's hash key in %s.\nCopy this file to every street server (mode 0600) and set [privacy] hash_key_file there.\n", argv[0])
			return nil
		},
	}
}

// initHashKeyFile is the key file `fedsync init` writes for a street when
// no --hash-key-file is given, relative to the data directory.
const initHashKeyFile = "hash.key"

// initPrivacy sets the [privacy] section of a new config: the key file
// given with --hash-key-file, or, for a node that writes personal data, a
// new key in the data directory (created by writeInitKey).
func initPrivacy(cfg *node.Config, keyFile string) error {
	if keyFile != "" {
		abs, err := filepath.Abs(keyFile)
		if err == nil {
			_, err = node.ReadHashKey(abs)
		}
		if err != nil {
			return usagef("--hash-key-file: %v", err)
		}
		cfg.Privacy.HashKeyFile = abs
		return nil
	}
	if cfg.Area.Level() == area.LevelStreet {
		cfg.Privacy.HashKeyFile = filepath.Join(cfg.DataDir, initHashKeyFile)
	}
	return nil
}

// writeInitKey creates the key initPrivacy chose in the data directory,
// and says what to do with it.
func (a *app) writeInitKey(cfg node.Config) error {
	if cfg.Privacy.HashKeyFile != filepath.Join(cfg.DataDir, initHashKeyFile) {
		return nil
	}
	if _, err := os.Stat(cfg.Privacy.HashKeyFile); err == nil {
		return nil
	}
	if err := node.CreateHashKey(cfg.Privacy.HashKeyFile); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Created a NEW federation hash key in %s: personal data leaves this street only as keyed hashes made with it.\n"+
		"  Every street server of the federation must use the same key. If the federation already has one, replace this\n"+
		"  file with a copy of it before the first start; otherwise copy this file to every other street server\n"+
		"  (or give their init --hash-key-file FILE).\n", cfg.Privacy.HashKeyFile)
	return nil
}
