package node

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/wire"
)

// PrivacyConfig is the [privacy] section: the federation's hash key, with
// which a street sends residents' names, phone numbers and ID numbers
// upward as keyed hashes (docs/SECURITY.md, "Personal data").
type PrivacyConfig struct {
	// HashKeyFile is the file holding the federation's hash key: 32 random
	// bytes, standard base64 on one line. Required on a node whose level
	// writes personal data (a street); counties and above never hash and
	// do not need it. Every street server must hold the same key, or equal
	// values hash apart. A relative path is relative to the config file.
	// Create the key once with `fedsync privacy key create FILE`.
	HashKeyFile string `toml:"hash_key_file"`
	// UnsafeDevKey hashes with a fixed development key that is published
	// in the source: anyone can then test guesses of a phone or ID number
	// against the hashes. UNSAFE: for tests and demos only; the node logs
	// a warning at start. Default false.
	UnsafeDevKey bool `toml:"unsafe_dev_key"`
}

// devHashKey is the published development key of UnsafeDevKey.
var devHashKey = func() []byte {
	h := sha256.Sum256([]byte("fedsync UNSAFE development hash key: never protects real data"))
	return h[:]
}()

// writesPersons reports whether a node of level l owns a kind with
// personal data, and so needs the hash key.
func writesPersons(l area.Level) bool {
	for _, k := range registry.Kinds {
		if len(registry.PIIFields(k)) > 0 && storage.Owns(l, k) == nil {
			return true
		}
	}
	return false
}

// validate checks the section for a node of area a.
func (p PrivacyConfig) validate(a area.Code) error {
	switch {
	case p.HashKeyFile != "" && p.UnsafeDevKey:
		return errors.New("privacy: set hash_key_file or unsafe_dev_key, not both")
	case p.HashKeyFile == "" && !p.UnsafeDevKey && writesPersons(a.Level()):
		return fmt.Errorf("privacy: a %s node keeps residents' personal data and sends it upward only as keyed hashes, so it needs the federation's hash key: "+
			"set [privacy] hash_key_file (create the key once with `fedsync privacy key create FILE` and copy that file to every street server), "+
			"or unsafe_dev_key = true for tests and demos", a.Level())
	}
	return nil
}

// resolve makes a relative HashKeyFile relative to dir (the config file's).
func (p *PrivacyConfig) resolve(dir string) {
	if p.HashKeyFile != "" && !filepath.IsAbs(p.HashKeyFile) {
		p.HashKeyFile = filepath.Join(dir, p.HashKeyFile)
	}
}

// redactor returns the redactor of the node's store: the default policy
// with the configured key (none on a node that writes no personal data
// and has none configured).
func (n *Node) redactor() (*registry.Redactor, error) {
	p := n.cfg.Privacy
	var key []byte
	switch {
	case p.UnsafeDevKey:
		n.log.Warn("UNSAFE: personal data is hashed with the public development key (privacy.unsafe_dev_key); anyone can reverse these hashes by guessing. Use only for tests and demos.")
		key = devHashKey
	case p.HashKeyFile != "":
		var err error
		if key, err = ReadHashKey(p.HashKeyFile); err != nil {
			return nil, fmt.Errorf("privacy: %w", err)
		}
		if fi, err := os.Stat(p.HashKeyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
			n.log.Warn("the hash key file is readable by other users; chmod 600 it", "file", p.HashKeyFile, "mode", fi.Mode().Perm().String())
		}
	}
	return registry.NewRedactor(registry.DefaultPolicy(), key)
}

// ReadHashKey reads a hash key file: HashKeySize bytes in standard base64
// on one line.
func ReadHashKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read hash key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(key) != registry.HashKeySize {
		return nil, fmt.Errorf("hash key %s: want %d bytes in base64 on one line (create one with `fedsync privacy key create FILE`)", path, registry.HashKeySize)
	}
	return key, nil
}

// CreateHashKey writes a new random hash key to path (mode 0600), refusing
// to replace a file.
func CreateHashKey(path string) error {
	key := make([]byte, registry.HashKeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("create hash key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create hash key: %w", err)
	}
	if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(key)); err != nil {
		f.Close()
		return fmt.Errorf("create hash key: %w", err)
	}
	return f.Close()
}

// checkRedaction refuses a batch from a child that holds a record body its
// origin's redaction policy does not send (personal data in clear, no or an
// unknown policy version). It runs before the raft log, so clear personal
// data a child sends never enters any file of this node; the FSM checks the
// same again (storage.ApplyRemote). It decodes the batch, which the receive
// path otherwise does only in the FSM: that is its cost (docs/BENCHMARKS.md,
// "Personal data").
func (n *Node) checkRedaction(data []byte) error {
	b, err := wire.Decode(data, n.syncLimits)
	if err != nil {
		return err
	}
	for _, r := range b.Ranges {
		for _, e := range r.Entries {
			if e.Op != storage.OpPut || e.Kind == storage.KindAudit {
				continue // audit entries hold no residents' data; storage checks them
			}
			if err := registry.CheckRedaction(e.Kind, e.Body); err != nil {
				return fmt.Errorf("origin %s seq %d: %w", e.Origin, e.Seq, err)
			}
		}
	}
	return nil
}

// checkStateRedaction is checkRedaction for a decoded state transfer.
func checkStateRedaction(st *storage.OriginState) error {
	for _, r := range st.Records {
		if err := registry.CheckRedaction(r.Kind, r.Body); err != nil {
			return fmt.Errorf("state of %s: record %s %q: %w", st.Origin, r.Kind, r.ID, err)
		}
	}
	return nil
}
