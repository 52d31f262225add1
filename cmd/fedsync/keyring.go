package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"fedsync/api"
	"fedsync/client"
	gossippool "fedsync/federation"
	"fedsync/node"
)

const keyringLong = `Manage the gossip encryption keys (AES-256, base64 of 32 bytes). Every
server holds a keyring: the primary key encrypts what it sends, every key in
the ring decrypts what it receives. The ring lives in the file named by
[gossip] keyring_file (the primary key first); these commands change it in
memory and in the file, so a restart keeps the change.

How a key reaches every server: memberlist keyrings are local to each
process, so install, use and remove fan out from the CLI. The command asks
the agent at --http-addr for the member list, then calls the API of every
alive server (its api_addr as gossiped) one by one, and prints each result.
--local changes only the agent at --http-addr. Dead servers are skipped and
named: give them the new keyring file before they start again. Every route
needs an admin token; tokens are kept per node, so with ACLs on the fan-out
succeeds only where the token is known: the servers of other nodes answer
403 and are listed as failed (exit 2); run the command there with --local
and that node's admin token.

Rotation without downtime, three rounds, each finished everywhere before
the next begins (every server can always decrypt what every other sends):

  fedsync keyring generate > new.key
  fedsync keyring install $(cat new.key)   every server accepts the new key
  fedsync keyring use $(cat new.key)       every server encrypts with it
  fedsync keyring remove OLDKEY            the old key is dropped

use refuses to start while some alive server lacks the key; remove refuses
while some alive server still encrypts with it (and a server always refuses
to remove its own primary key). Keys are shown as fingerprints (the first 8
bytes of their SHA-256), never in full. KEY may be "-" to read it from
standard input (keeps it out of the shell history).`

func newKeyringCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "keyring list|install|use|remove|generate",
		Short:   "List and rotate the gossip encryption keys of every server",
		GroupID: "members",
		Long:    keyringLong,
		Example: `  fedsync keyring list
  fedsync keyring install 8c1pZ3...=
  fedsync keyring use - < new.key
  fedsync keyring remove 4uNq0b...= --local`,
	}
	var local bool
	cmd.PersistentFlags().BoolVar(&local, "local", false, "change or list only the agent at --http-addr, not every alive server")
	list := &cobra.Command{
		Use:     "list",
		Short:   "List every alive server's keys (fingerprints)",
		Long:    "List, for every alive server (--local: only the agent at --http-addr), its primary key and every installed key, as fingerprints, and say whether all servers agree.",
		Example: "  fedsync keyring list\n  fedsync keyring list --local -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.keyringList(cmd.Context(), local)
		},
	}
	cmd.AddCommand(list)
	for _, op := range []struct{ name, short, example string }{
		{"install", "Install a key on every alive server (it then decrypts with it)", "  fedsync keyring install 8c1pZ3...="},
		{"use", "Make an installed key the primary one on every alive server", "  fedsync keyring use 8c1pZ3...="},
		{"remove", "Remove a key that no alive server uses as primary", "  fedsync keyring remove 4uNq0b...="},
	} {
		cmd.AddCommand(&cobra.Command{
			Use: op.name + " KEY", Short: op.short, Long: op.short + ".\n\n" + keyringLong,
			Example: op.example + "\n  fedsync keyring " + op.name + " - < key.txt --local",
			Args:    args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, in []string) error {
				key, err := a.readKey(in[0])
				if err != nil {
					return err
				}
				return a.keyringChange(cmd.Context(), op.name, key, local)
			},
		})
	}
	cmd.AddCommand(&cobra.Command{
		Use:     "generate",
		Short:   "Print a new random gossip key",
		Long:    "Print a new random 32-byte gossip key in base64, for a keyring file or `fedsync keyring install`.",
		Example: "  fedsync keyring generate > /etc/fedsync/gossip.keyring",
		Args:    args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			k, err := gossippool.GenerateKey()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.stdout, k)
			return err
		},
	})
	return cmd
}

// readKey takes KEY or "-" (one line of stdin) and checks it is base64 of
// 32 bytes.
func (a *app) readKey(arg string) (string, error) {
	key := arg
	if arg == "-" {
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", usagef("KEY -: reading standard input: %v", err)
		}
		key = strings.TrimSpace(line)
	}
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 32 {
		return "", usagef("KEY: want base64 of 32 bytes (see `fedsync keyring generate`)")
	}
	return key, nil
}

// keyTarget is one server the keyring commands talk to.
type keyTarget struct {
	name string
	c    *client.Client
}

// keyTargets returns the agent at --http-addr (local), or every alive
// server it knows, and the names of the servers skipped because they are
// not alive.
func (a *app) keyTargets(ctx context.Context, local bool) ([]keyTarget, []string, error) {
	c, err := a.client()
	if err != nil {
		return nil, nil, err
	}
	if local {
		k, err := c.Keyring(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring: %w", err)
		}
		return []keyTarget{{name: k.Server, c: c}}, nil, nil
	}
	secret, err := a.tokenSecret()
	if err != nil {
		return nil, nil, err
	}
	ms, err := c.Members(ctx, "", "")
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: list members: %w", err)
	}
	var out []keyTarget
	var skipped []string
	for _, m := range ms {
		if m.Status != "alive" && m.Status != "leaving" {
			skipped = append(skipped, m.Name+" ("+m.Status+")")
			continue
		}
		mc, err := a.clientAt(m.APIAddr, secret)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring: server %s: %w", m.Name, err)
		}
		out = append(out, keyTarget{name: m.Name, c: mc})
	}
	return out, skipped, nil
}

// keyringRow is one server's answer, for the table and -o json.
type keyringRow struct {
	Server  string       `json:"server"`
	Keyring *api.Keyring `json:"keyring,omitempty"`
	Result  string       `json:"result,omitempty"`
	Error   string       `json:"error,omitempty"`
}

func (a *app) keyringList(ctx context.Context, local bool) error {
	targets, skipped, err := a.keyTargets(ctx, local)
	if err != nil {
		return err
	}
	var rows []keyringRow
	failed := 0
	for _, t := range targets {
		k, err := t.c.Keyring(ctx)
		row := keyringRow{Server: t.name, Keyring: k}
		if err != nil {
			row.Error, failed = err.Error(), failed+1
		}
		rows = append(rows, row)
	}
	if a.json() {
		if err := printJSON(a.stdout, rows); err != nil {
			return err
		}
	} else {
		t := newTable("SERVER", "PRIMARY", "KEYS")
		for _, r := range rows {
			if r.Keyring == nil {
				t.add(r.Server, "error", r.Error)
				continue
			}
			t.add(r.Server, r.Keyring.Primary, strings.Join(r.Keyring.Keys, " "))
		}
		if err := t.write(a.stdout); err != nil {
			return err
		}
		a.printSkipped(skipped)
		if agree(rows) {
			fmt.Fprintf(a.stdout, "\nall %d servers hold the same keys with the same primary\n", len(rows))
		} else {
			fmt.Fprintln(a.stdout, "\nthe servers' keyrings differ (a rotation in progress?)")
		}
	}
	if failed > 0 {
		return partial("keyring list: %d of %d servers did not answer", failed, len(rows))
	}
	return nil
}

// agree reports whether every answered keyring has the same primary and
// the same set of keys.
func agree(rows []keyringRow) bool {
	var first *api.Keyring
	for _, r := range rows {
		if r.Keyring == nil {
			continue
		}
		if first == nil {
			first = r.Keyring
			continue
		}
		a, b := slices.Sorted(slices.Values(first.Keys)), slices.Sorted(slices.Values(r.Keyring.Keys))
		if r.Keyring.Primary != first.Primary || !slices.Equal(a, b) {
			return false
		}
	}
	return true
}

func (a *app) printSkipped(skipped []string) {
	if len(skipped) > 0 {
		fmt.Fprintf(a.stdout, "\nskipped (not alive; give them the new keyring file before they start): %s\n", strings.Join(skipped, ", "))
	}
}

// keyringChange checks the rotation rule against every target's keyring,
// then applies op to each.
func (a *app) keyringChange(ctx context.Context, op, key string, local bool) error {
	targets, skipped, err := a.keyTargets(ctx, local)
	if err != nil {
		return err
	}
	fp := node.KeyFingerprint(key)
	if op == "use" || op == "remove" {
		var blocking []string
		for _, t := range targets {
			k, err := t.c.Keyring(ctx)
			if err != nil {
				return fmt.Errorf("keyring %s: server %s: %w", op, t.name, err)
			}
			if (op == "use" && !slices.Contains(k.Keys, fp)) || (op == "remove" && k.Primary == fp) {
				blocking = append(blocking, t.name)
			}
		}
		if len(blocking) > 0 && op == "use" {
			return fmt.Errorf("keyring use: refused: key %s is not installed on %s; run `fedsync keyring install` first (a server that encrypts with a key others lack is cut off)", fp, strings.Join(blocking, ", "))
		}
		if len(blocking) > 0 {
			return fmt.Errorf("keyring remove: refused: key %s is still the primary key on %s; run `fedsync keyring use NEWKEY` first", fp, strings.Join(blocking, ", "))
		}
	}
	var rows []keyringRow
	failed := 0
	for _, t := range targets {
		k, err := t.c.KeyringChange(ctx, op, key)
		row := keyringRow{Server: t.name, Keyring: k, Result: "done"}
		var ae *client.APIError
		switch {
		case err == nil:
		case op == "remove" && errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			row.Result = "not installed (nothing to do)"
		default:
			row.Result, row.Error, failed = "failed", err.Error(), failed+1
		}
		rows = append(rows, row)
	}
	if a.json() {
		if err := printJSON(a.stdout, rows); err != nil {
			return err
		}
	} else {
		t := newTable("SERVER", "RESULT", "PRIMARY")
		for _, r := range rows {
			primary := ""
			if r.Keyring != nil {
				primary = r.Keyring.Primary
			}
			res := r.Result
			if r.Error != "" {
				res += ": " + r.Error
			}
			t.add(r.Server, res, primary)
		}
		if err := t.write(a.stdout); err != nil {
			return err
		}
		a.printSkipped(skipped)
	}
	if failed > 0 {
		return partial("keyring %s: failed on %d of %d servers; run it again once they answer", op, failed, len(rows))
	}
	return nil
}
