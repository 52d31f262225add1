package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/node"
)

// initFlags are the flags of `fedsync init`.
type initFlags struct {
	area     string
	dataDir  string
	raftAddr string
	syncAddr string
	parent   []string
	name     string
	tls      node.TLSConfig // --tls-* and --insecure-plaintext (tlsinit.go)
	hashKey  string         // --hash-key-file (privacy.go)
	raft     raftInitFlags  // a node of several servers (initraft.go)
}

func newInitCmd(a *app) *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:     "init --area CODE --data-dir DIR",
		Short:   "Prepare a data directory and config for an area's server",
		GroupID: "server",
		Long: `Prepare a server of the node for one area: a street or township (街道/乡镇),
a county or district (县/区), a city (市) or the province (省). The area is
the 12-digit statistical division code and must be in the division data.

init creates DIR and writes DIR/fedsync.toml (defaults, the area, the data
directory, and the addresses: --http-addr for the API, default 127.0.0.1:8700,
--raft-addr for the node's other servers, and --sync-addr, where the nodes
one level below connect to send their change logs). Read and adjust it, then
start the server with ` + "`fedsync agent -config DIR/fedsync.toml`" + `. On its first
start a street's server writes its communities from the division data.

Every node but the province's sends its change log, and everything it
received from below, up to its parent node: give --parent the sync address
(the parent's --sync-addr) of each of the parent node's servers, one flag
per server; the server tries them in order. Without --parent the node keeps
its data to itself until parent is set in the config.

Servers talk to each other over mutual TLS: give the federation CA and this
server's certificate and key (fedsync tls --help explains how to make them)
with --tls-ca, --tls-cert, --tls-key and --tls-crl; the API is then served
over https. For development only, --insecure-plaintext turns TLS off. One
or the other is required.

A node may run on 3 or 5 servers as one raft group: init each with its own
--name and addresses, and either --bootstrap-expect 3 with a --peer
NAME=RAFTADDR for each server, or --join on all but the first and then
` + "`fedsync operator raft add-voter`" + ` (README, "Running a node on three servers").

Running init again for the same area changes nothing; a directory that holds
another area's config is refused.`,
		Example: `  fedsync init --area 210102001000 --data-dir /var/lib/fedsync --parent 10.0.3.7:8702 \
      --tls-ca /etc/fedsync/pki/ca.pem --tls-crl /etc/fedsync/pki/crl.pem \
      --tls-cert /etc/fedsync/pki/210102001000-hunhewan-1.pem --tls-key /etc/fedsync/pki/210102001000-hunhewan-1-key.pem
  fedsync init --area 210102001000 --data-dir ./dev --insecure-plaintext
  fedsync init --area 210102000000 --data-dir ./heping --http-addr 0.0.0.0:8700 \
      --raft-addr 10.0.3.7:8701 --sync-addr 10.0.3.7:8702 --parent 10.0.1.2:8702 --parent 10.0.1.3:8702 \
      --tls-ca pki/ca.pem --tls-cert pki/210102000000-heping-1.pem --tls-key pki/210102000000-heping-1-key.pem`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runInit(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.area, "area", "", "12-digit `CODE` of the area the server serves")
	fl.StringVar(&f.dataDir, "data-dir", "", "`DIR` for the store, the raft log and the config")
	fl.StringVar(&f.raftAddr, "raft-addr", node.DefaultConfig().RaftAddr, "`host:port` raft listens on for the node's other servers")
	fl.StringVar(&f.syncAddr, "sync-addr", node.DefaultConfig().SyncAddr, "`host:port` the sync link listens on for the child nodes' change logs")
	fl.StringArrayVar(&f.parent, "parent", nil, "sync `ADDR` (host:port) of a server of the parent node; repeat for each server")
	fl.StringVar(&f.name, "name", "", "server `NAME`, unique in the federation (default AREA-HOSTNAME)")
	addInitTLSFlags(fl, &f.tls)
	fl.StringVar(&f.hashKey, "hash-key-file", "", "the federation's hash key `FILE` (streets; default: a new key in DIR/hash.key)")
	addRaftInitFlags(fl, &f.raft)
	_ = cmd.MarkFlagRequired("area")
	_ = cmd.MarkFlagRequired("data-dir")
	return cmd
}

// nodeArea checks that s names an area a node can serve.
func nodeArea(s string) (area.Code, error) {
	c, err := area.Parse(s)
	if err != nil {
		return "", err
	}
	if c.Level() == area.LevelCommunity {
		return "", fmt.Errorf("%s (%s) is a community; a node serves a street, county, city or the province: try %s", c, area.Name(c), c.Parent())
	}
	if _, ok := area.Lookup(c); !ok {
		return "", fmt.Errorf("%s is not in the division data of Liaoning (edition %s)", c, area.DataEdition)
	}
	return c, nil
}

func (a *app) runInit(cmd *cobra.Command, f initFlags) error {
	code, err := nodeArea(f.area)
	if err != nil {
		return usagef("--area: %v", err)
	}
	dir, err := filepath.Abs(f.dataDir)
	if err != nil {
		return usagef("--data-dir: %v", err)
	}
	cfgPath := filepath.Join(dir, node.ConfigFileName)
	done, err := existingConfig(cfgPath, code)
	if err != nil || done {
		if done {
			fmt.Fprintf(a.stdout, "%s already holds the config of %s (%s); nothing to do.\n", dir, code, area.Name(code))
			a.nextSteps(cfgPath, "")
		}
		return err
	}
	if err := initTLS(&f); err != nil {
		return err
	}
	cfg, err := initConfig(cmd, a, f, code, dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := a.writeInitKey(cfg); err != nil {
		return err
	}
	if err := node.WriteConfig(cfgPath, cfg); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Initialised a server for %s (%s, %s) in %s.\n", area.Name(code), code, code.Level(), dir)
	a.syncSteps(cfg)
	a.nextSteps(cfgPath, cfg.HTTPAddr)
	return nil
}

// initConfig builds the config from the flags, naming the flag of every
// bad value.
func initConfig(cmd *cobra.Command, a *app, f initFlags, code area.Code, dir string) (node.Config, error) {
	cfg := node.DefaultConfig()
	cfg.Area, cfg.DataDir, cfg.RaftAddr, cfg.SyncAddr, cfg.Name = code, dir, f.raftAddr, f.syncAddr, f.name
	cfg.Parent, cfg.TLS = f.parent, f.tls
	if cmd.Flags().Changed("http-addr") {
		cfg.HTTPAddr = hostPort(a.httpAddr)
	}
	if cfg.Name == "" {
		host, _ := os.Hostname()
		cfg.Name = string(code) + "-" + strings.Split(host, ".")[0]
	}
	f.raft.apply(&cfg)
	if err := checkAddrFlags(cfg); err != nil {
		return cfg, err
	}
	if err := initPrivacy(&cfg, f.hashKey); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usagef("%v", err)
	}
	return cfg, nil
}

// checkAddrFlags checks the address flags, naming the flag at fault.
func checkAddrFlags(cfg node.Config) error {
	var errs []error
	for _, f := range []struct{ flag, addr string }{
		{"--http-addr", cfg.HTTPAddr}, {"--raft-addr", cfg.RaftAddr}, {"--sync-addr", cfg.SyncAddr},
	} {
		if _, _, err := net.SplitHostPort(f.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port (%v)", f.flag, f.addr, err))
		}
	}
	for _, p := range cfg.Parent {
		if _, _, err := net.SplitHostPort(p); err != nil {
			errs = append(errs, fmt.Errorf("--parent %q: want the host:port of a parent server's sync link (its sync_addr) (%v)", p, err))
		}
	}
	if len(cfg.Parent) > 0 && cfg.Area.Level() == area.LevelProvince {
		errs = append(errs, fmt.Errorf("--parent: %s is the province; its node has no parent", cfg.Area))
	}
	if err := errors.Join(errs...); err != nil {
		return &usageError{err}
	}
	return nil
}

// syncSteps explains where the new server's change logs go and where its
// children connect.
func (a *app) syncSteps(cfg node.Config) {
	lv := cfg.Area.Level()
	if lv != area.LevelStreet {
		fmt.Fprintf(a.stdout, "Children: the %s below it send their change logs to its sync_addr %s;\n  init each of them with --parent %s.\n",
			childNodes[lv], cfg.SyncAddr, cfg.SyncAddr)
		if host, _, _ := net.SplitHostPort(cfg.SyncAddr); host == "127.0.0.1" || host == "localhost" {
			fmt.Fprintln(a.stdout, "  127.0.0.1 takes connections from this host only: for children on other hosts, give --sync-addr HOST:PORT.")
		}
	}
	parent := fmt.Sprintf("%s (%s)", area.Name(cfg.Area.Parent()), cfg.Area.Parent())
	switch {
	case len(cfg.Parent) > 0:
		fmt.Fprintf(a.stdout, "Parent: it sends its change log, and everything it receives from below, to %s at %s.\n",
			parent, strings.Join(cfg.Parent, ", "))
	case lv != area.LevelProvince:
		fmt.Fprintf(a.stdout, "Parent: none yet, so its records stay here. Set parent in the config to the sync_addr\n  of the servers of %s (or init a new directory with --parent ADDR).\n", parent)
	}
}

// childNodes names the nodes one level below a level's.
var childNodes = map[area.Level]string{
	area.LevelProvince: "city nodes",
	area.LevelCity:     "county and district nodes",
	area.LevelCounty:   "street and township nodes",
}

// existingConfig reports whether path already configures code (done), and
// refuses one that configures another area.
func existingConfig(path string, code area.Code) (done bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	old, err := node.LoadConfig(path)
	if err != nil {
		return false, fmt.Errorf("%s exists but cannot be read (%v); choose another --data-dir or remove it", path, err)
	}
	if old.Area != code {
		return false, fmt.Errorf("%s already holds the config of %s (%s), not %s; choose another --data-dir",
			filepath.Dir(path), old.Area, area.Name(old.Area), code)
	}
	return true, nil
}

func (a *app) nextSteps(cfgPath, httpAddr string) {
	fmt.Fprintf(a.stdout, "\nNext:\n  review %s\n  fedsync agent -config %s\n", cfgPath, cfgPath)
	if httpAddr != "" {
		fmt.Fprintf(a.stdout, "  fedsync status --http-addr %s\n", httpAddr)
	}
}

// hostPort strips a scheme from an address given as a URL.
func hostPort(addr string) string {
	if _, rest, ok := strings.Cut(addr, "://"); ok {
		addr, _, _ = strings.Cut(rest, "/")
	}
	return addr
}
