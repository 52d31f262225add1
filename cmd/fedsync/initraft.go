package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"fedsync/node"
)

// raftInitFlags are init's flags for a node of several servers (the
// config's [raft] table; see README, "Running a node on three servers").
type raftInitFlags struct {
	advertise     string
	httpAdvertise string
	syncAdvertise string
	join          bool
	expect        int
	peers         []string
}

func addRaftInitFlags(fl *pflag.FlagSet, f *raftInitFlags) {
	fl.StringVar(&f.advertise, "raft-advertise", "", "raft `ADDR` the node's other servers dial (default --raft-addr; required when that is 0.0.0.0)")
	fl.StringVar(&f.httpAdvertise, "http-advertise", "", "API `ADDR` the node's other servers forward writes to (default --http-addr)")
	fl.StringVar(&f.syncAdvertise, "sync-advertise", "", "sync `ADDR` children are pointed to when this server leads (default --sync-addr)")
	fl.BoolVar(&f.join, "join", false, "do not bootstrap: wait to be added with `fedsync operator raft add-voter`")
	fl.IntVar(&f.expect, "bootstrap-expect", 0, "`N` servers (3 or 5) bootstrap together from the --peer list")
	fl.StringArrayVar(&f.peers, "peer", nil, "`NAME=RAFTADDR` of a server of a static group, this one included; repeat for each")
}

// apply writes the flags into cfg.
func (f raftInitFlags) apply(cfg *node.Config) {
	cfg.Raft.Advertise, cfg.Raft.HTTPAdvertise, cfg.Raft.SyncAdvertise = f.advertise, f.httpAdvertise, f.syncAdvertise
	cfg.Raft.BootstrapExpect, cfg.Raft.Peers = f.expect, f.peers
	if f.join {
		cfg.Bootstrap = false
	}
}

// raftSteps says how the server joins its group, for a group of several.
func (a *app) raftSteps(cfg node.Config) {
	http := cfg.Raft.HTTPAdvertise
	if http == "" {
		http = cfg.HTTPAddr
	}
	switch {
	case !cfg.Bootstrap:
		fmt.Fprintf(a.stdout, "Raft: this server waits to join its node's group; once its agent runs, add it from a server of the group:\n  fedsync --http-addr LEADER_API operator raft add-voter --server-http %s\n", http)
	case cfg.Raft.BootstrapExpect > 1:
		fmt.Fprintf(a.stdout, "Raft: a group of %d (%s) that elects a leader once a majority of them runs.\n", cfg.Raft.BootstrapExpect, strings.Join(cfg.Raft.Peers, ", "))
	}
}
