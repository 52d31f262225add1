package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
	"fedsync/storage"
)

var _ api.SnapshotBackend = (*Node)(nil)

// SaveSnapshot implements api.SnapshotBackend: the store as of one
// moment, as a snapshot file. The state pinned by one read transaction is
// first copied to a temporary file in the data directory (hashing it: a
// bbolt copy includes free pages that concurrent writes may reuse, so two
// copies of one transaction can differ), then streamed to w.
func (n *Node) SaveSnapshot(ctx context.Context, w io.Writer) error {
	sn, err := n.store.BeginSnapshot()
	if err != nil {
		return err
	}
	index := sn.AppliedIndex()
	tmp, err := os.CreateTemp(n.cfg.DataDir, "snapshot-*.tmp")
	if err != nil {
		sn.Release()
		return fmt.Errorf("snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	hc := &hashingCounter{h: sha256.New()}
	_, err = sn.WriteTo(io.MultiWriter(tmp, hc))
	sn.Release()
	if err != nil {
		return fmt.Errorf("snapshot: copy the store: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := SnapshotHeader{Area: n.cfg.Area, Server: n.cfg.Name, RaftIndex: index, Created: time.Now().UTC(),
		BodyBytes: hc.n, BodySHA256: hex.EncodeToString(hc.h.Sum(nil))}
	return writeSnapshotFile(w, h, func(w io.Writer) (int64, error) { return io.Copy(w, tmp) })
}

// SnapshotReport is what InspectSnapshot finds in a file.
type SnapshotReport struct {
	Header  SnapshotHeader        `json:"header"`
	Records map[string]int64      `json:"records"` // by kind, in the whole area
	Origins int                   `json:"origins"` // origins with a watermark
	Servers []storage.ServerAddrs `json:"servers"` // the address book it carries
	Verify  *storage.VerifyReport `json:"verify"`
}

// InspectSnapshot reads a snapshot file, checks its header, length and
// checksum, opens its store in a temporary file and verifies it (every
// chain, every counter). A file that fails a check is reported by error.
func InspectSnapshot(ctx context.Context, path string) (*SnapshotReport, error) {
	f, r, h, err := openSnapshot(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tmp, err := os.MkdirTemp("", "fedsync-inspect-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var rep *SnapshotReport
	err = guard(func() error {
		st, err := bodyToStore(r, h, filepath.Join(tmp, "fedsync.db"))
		if err != nil {
			return err
		}
		defer st.Close()
		rep, err = inspectStore(ctx, st, h)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// inspectStore counts and verifies an opened snapshot store.
func inspectStore(ctx context.Context, st *storage.Store, h SnapshotHeader) (*SnapshotReport, error) {
	rep := &SnapshotReport{Header: h, Records: map[string]int64{}}
	c, err := st.AreaCounters(h.Area)
	if err != nil {
		return nil, err
	}
	for _, k := range registry.Kinds {
		rep.Records[string(k)] = c[rollup.DimCount+"."+string(k)]
	}
	wms, err := st.Watermarks()
	if err != nil {
		return nil, err
	}
	rep.Origins = len(wms)
	if rep.Servers, err = st.Servers(); err != nil {
		return nil, err
	}
	if rep.Verify, err = st.Verify(ctx); err != nil {
		return nil, err
	}
	return rep, nil
}

// guard runs fn, turning a panic of bbolt on a damaged file (a body whose
// checksum matches but that is no sound store) into an error.
func guard(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: the store in it is damaged (%v)", ErrSnapshotFormat, v)
		}
	}()
	return fn()
}

// openSnapshot opens a snapshot file and reads its header; the reader is
// then at the body. The caller closes the file.
func openSnapshot(path string) (*os.File, io.Reader, SnapshotHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, SnapshotHeader{}, err
	}
	r := bufferedReader(f)
	h, err := ReadSnapshotHeader(r)
	if err != nil {
		f.Close()
		return nil, nil, h, fmt.Errorf("%s: %w", path, err)
	}
	return f, r, h, nil
}

// bodyToStore writes the checked body to path and opens it as the
// store of h's area.
func bodyToStore(r io.Reader, h SnapshotHeader, path string) (*storage.Store, error) {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	err = CopySnapshotBody(out, r, h)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	st, err := storage.Open(path, h.Area, storage.Options{})
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("%w: its body is not a store of %s: %w", ErrSnapshotFormat, h.Area, err)
	}
	return st, nil
}

// RestoreResult says what RestoreSnapshot did.
type RestoreResult struct {
	Header SnapshotHeader `json:"header"`
	// Aside is the directory that now holds the server's previous store
	// and raft state.
	Aside string `json:"aside"`
}

// RestoreSnapshot replaces the store of a stopped server with a snapshot
// file's. It refuses, changing nothing, a file that is not a complete,
// checksummed snapshot of cfg's area, a body that does not verify, and a
// data directory whose agent is running. Then it moves the previous store,
// raft log and raft snapshots into DATA_DIR/pre-restore-TIME and puts the
// snapshot's store in place with no raft index and an empty address book:
// on its next start the server (bootstrap = true) begins a new raft group
// of itself from that state. Other servers of the node join it afresh with
// `fedsync operator raft add-voter` (see README, "Running a node on three
// servers").
func RestoreSnapshot(ctx context.Context, cfg Config, path string) (*RestoreResult, error) {
	f, r, h, err := openSnapshot(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if h.Area != cfg.Area {
		return nil, fmt.Errorf("%s: %w: it holds %s (%s), this server serves %s (%s)", path, ErrSnapshotArea, h.Area, area.Name(h.Area), cfg.Area, area.Name(cfg.Area))
	}
	live := filepath.Join(cfg.DataDir, "fedsync.db")
	lock, err := lockStopped(live)
	if err != nil {
		return nil, err
	}
	defer lock()
	tmp := live + ".restoring"
	os.Remove(tmp)
	err = guard(func() error {
		st, err := bodyToStore(r, h, tmp)
		if err != nil {
			return err
		}
		if err := prepareRestored(ctx, st); err != nil {
			st.Close()
			return err
		}
		return st.Close()
	})
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lock()
	aside, err := swapIn(cfg.DataDir, tmp)
	if err != nil {
		return nil, err
	}
	return &RestoreResult{Header: h, Aside: aside}, nil
}

// prepareRestored verifies the restored store and resets its raft state.
func prepareRestored(ctx context.Context, st *storage.Store) error {
	rep, err := st.Verify(ctx)
	if err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("the snapshot's store does not verify: %v", rep.Problems)
	}
	if err := st.ResetApplied(); err != nil {
		return err
	}
	return st.ClearServers()
}

// swapIn moves the server's store and raft state aside and the restored
// store into place.
func swapIn(dir, restored string) (string, error) {
	aside := filepath.Join(dir, "pre-restore-"+time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Mkdir(aside, 0o750); err != nil {
		os.Remove(restored)
		return "", fmt.Errorf("restore: %w", err)
	}
	for _, name := range []string{"fedsync.db", "raft.db", "snapshots"} {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(aside, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return aside, fmt.Errorf("restore: move %s aside: %w (the restored store is %s)", name, err, restored)
		}
	}
	if err := os.Rename(restored, filepath.Join(dir, "fedsync.db")); err != nil {
		return aside, fmt.Errorf("restore: %w (the previous state is in %s)", err, aside)
	}
	return aside, nil
}

// lockStopped checks that no agent holds the store at path and returns
// the function that lets it go.
func lockStopped(path string) (func(), error) {
	release, err := storage.HoldStopped(path, 500*time.Millisecond)
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("%w: %s; stop the agent before restoring", ErrDataDirLocked, filepath.Dir(path))
	}
	return release, err
}
