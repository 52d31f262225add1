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
process. The agent at --http-addr checks your token (an admin token of its
node: one token is enough with ACLs on), applies the change, then pushes it
to the API of every alive server of its area and below over mutual TLS,
with its own server certificate; the key never travels through gossip, so a
rotation also locks out whoever holds the old key. A server takes a change
only from a server of its own area or of an ancestor area: run the
commands against a province server to reach every server (a city's server
reaches only that city's; the others are listed as skipped). list asks
every alive server through gossip (fingerprints only). Dead servers are
skipped and named: give them the new keyring file before they start again.
Servers that failed are named; run the command again (install, use and
remove are idempotent). A server running insecure_plaintext cannot push:
use --local on each server. --local changes or lists only the agent at
--http-addr.

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

// keyringRow is one server's answer, for the table and -o json.
type keyringRow struct {
	Server  string       `json:"server"`
	Keyring *api.Keyring `json:"keyring,omitempty"`
	Result  string       `json:"result,omitempty"`
	Error   string       `json:"error,omitempty"`
}

// keyringOutput is what the keyring commands print with -o json.
type keyringOutput struct {
	Servers  []keyringRow `json:"servers"`
	NoAnswer []string     `json:"no_answer,omitempty"`
	Skipped  []string     `json:"skipped,omitempty"`
}

func (a *app) keyringList(ctx context.Context, local bool) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out keyringOutput
	if local {
		k, err := c.Keyring(ctx)
		if err != nil {
			return fmt.Errorf("keyring list: %w", err)
		}
		out.Servers = []keyringRow{{Server: k.Server, Keyring: k}}
	} else {
		fk, err := c.FederationKeyring(ctx)
		if err != nil {
			return fmt.Errorf("keyring list: %w", err)
		}
		out = fromFederation(fk, "")
	}
	failed := len(out.NoAnswer)
	for _, r := range out.Servers {
		if r.Keyring == nil {
			failed++
		}
	}
	if a.json() {
		if err := printJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		t := newTable("SERVER", "PRIMARY", "KEYS")
		for _, r := range out.Servers {
			if r.Keyring == nil {
				t.add(r.Server, "error", r.Error)
				continue
			}
			t.add(r.Server, r.Keyring.Primary, strings.Join(r.Keyring.Keys, " "))
		}
		if err := t.write(a.stdout); err != nil {
			return err
		}
		a.printMissing(out)
		if agree(out.Servers) {
			fmt.Fprintf(a.stdout, "\nall %d servers that answered hold the same keys with the same primary\n", len(out.Servers)-(failed-len(out.NoAnswer)))
		} else {
			fmt.Fprintln(a.stdout, "\nthe servers' keyrings differ (a rotation in progress?)")
		}
	}
	if failed > 0 {
		return partial("keyring list: %d servers did not answer", failed)
	}
	return nil
}

// fromFederation turns the agent's answer into rows; result is the RESULT
// of a row that applied the operation ("" for a listing).
func fromFederation(fk *api.FederationKeyring, result string) keyringOutput {
	out := keyringOutput{NoAnswer: fk.NoAnswer, Skipped: fk.Skipped}
	for _, s := range fk.Servers {
		row := keyringRow{Server: s.Server, Keyring: s.Keyring, Error: s.Error}
		switch {
		case s.Error == "":
			row.Result = result
		case strings.Contains(s.Error, "not installed"):
			row.Result, row.Error = "not installed (nothing to do)", ""
		default:
			row.Result = "failed"
		}
		out.Servers = append(out.Servers, row)
	}
	return out
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

func (a *app) printMissing(out keyringOutput) {
	if len(out.NoAnswer) > 0 {
		fmt.Fprintf(a.stdout, "\nno answer in time (alive, but silent or slow): %s\n", strings.Join(out.NoAnswer, ", "))
	}
	if len(out.Skipped) > 0 {
		fmt.Fprintf(a.stdout, "\nskipped (a dead server needs the new keyring file before it starts): %s\n", strings.Join(out.Skipped, ", "))
	}
}

// keyringChange applies op to every alive server through the agent (which
// refuses use and remove when they would cut a server off), or with
// --local to the agent alone.
func (a *app) keyringChange(ctx context.Context, op, key string, local bool) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out keyringOutput
	if local {
		if op == "use" || op == "remove" {
			k, err := c.Keyring(ctx)
			if err != nil {
				return fmt.Errorf("keyring %s: %w", op, err)
			}
			fp := node.KeyFingerprint(key)
			if op == "use" && !slices.Contains(k.Keys, fp) {
				return fmt.Errorf("keyring use: refused: key %s is not installed on %s; run `fedsync keyring install` first", fp, k.Server)
			}
			if op == "remove" && k.Primary == fp {
				return fmt.Errorf("keyring remove: refused: key %s is still the primary key on %s; run `fedsync keyring use NEWKEY` first", fp, k.Server)
			}
		}
		k, err := c.KeyringChange(ctx, op, key)
		row := keyringRow{Server: "local", Keyring: k, Result: "done"}
		var ae *client.APIError
		switch {
		case err == nil:
			row.Server = k.Server
		case op == "remove" && errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			row.Result = "not installed (nothing to do)"
		default:
			return fmt.Errorf("keyring %s: %w", op, err)
		}
		out.Servers = []keyringRow{row}
	} else {
		fk, err := c.FederationKeyringChange(ctx, op, key)
		if err != nil {
			return fmt.Errorf("keyring %s: %w", op, err)
		}
		out = fromFederation(fk, "done")
	}
	failed := len(out.NoAnswer)
	for _, r := range out.Servers {
		if r.Result == "failed" {
			failed++
		}
	}
	if a.json() {
		if err := printJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		t := newTable("SERVER", "RESULT", "PRIMARY")
		for _, r := range out.Servers {
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
		a.printMissing(out)
	}
	if failed > 0 {
		return partial("keyring %s: not done on %d of %d servers; run it again once they answer", op, failed, len(out.Servers)+len(out.NoAnswer))
	}
	return nil
}
