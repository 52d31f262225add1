package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"fedsync/api"
)

func newOperatorCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "operator",
		Short:   "Manage the raft group of a node of several servers",
		GroupID: "server",
		Long: `Commands for the administrators of a node that runs on several servers (3 or
5) as one raft group. See README, "Running a node on three servers".`,
		Example: `  fedsync operator raft list-peers
  fedsync operator raft add-voter --server-http 10.0.3.8:8700
  fedsync operator raft remove-peer 210102000000-srv3`,
		Args: args(cobra.NoArgs),
	}
	raftCmd := &cobra.Command{
		Use:   "raft",
		Short: "List, add and remove the servers of the node's raft group",
		Long: `list-peers shows the group; add-voter and remove-peer change it. Changes are
made by the leader: a follower's agent forwards them to it.`,
		Example: `  fedsync operator raft list-peers -o json`,
		Args:    args(cobra.NoArgs),
	}
	raftCmd.AddCommand(newListPeersCmd(a), newAddVoterCmd(a), newRemovePeerCmd(a))
	cmd.AddCommand(raftCmd)
	return cmd
}

func newListPeersCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list-peers",
		Short: "Show the servers of the node's raft group",
		Long: `Show every server of the raft group of the agent at --http-addr: its name
(the raft server ID), raft address, whether it votes and leads, whether the
leader's heartbeats reach it (live; only the leader knows), and what it
reports of itself: raft state, last log index and last contact with the
leader. A server that does not answer is shown with the error.`,
		Example: `  fedsync operator raft list-peers
  fedsync operator raft list-peers --http-addr 10.0.3.7:8700 -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			peers, err := c.RaftPeers(cmd.Context())
			if err != nil {
				return fmt.Errorf("list peers: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, peers)
			}
			return peersTable(peers, time.Now()).write(a.stdout)
		},
	}
}

func peersTable(peers []api.RaftPeer, now time.Time) *table {
	t := newTable("NAME", "ADDRESS", "VOTER", "LEADER", "LIVE", "STATE", "LAST INDEX", "LAST CONTACT", "HTTP").alignRight(6)
	for _, p := range peers {
		state, contact := p.State, "-"
		if p.Error != "" {
			state = "unreachable: " + p.Error
		}
		if !p.LastContact.IsZero() {
			contact = now.Sub(p.LastContact).Round(time.Millisecond).String() + " ago"
		}
		t.addf(p.Name, p.Address, yesNo(p.Voter), yesNo(p.Leader), yesNo(p.Live), state, p.LastIndex, contact, p.HTTP)
	}
	return t
}

func newAddVoterCmd(a *app) *cobra.Command {
	var serverHTTP string
	var req api.AddVoterRequest
	cmd := &cobra.Command{
		Use:   "add-voter --server-http ADDR | --name NAME --address RAFTADDR",
		Short: "Add a server to the node's raft group as a voter",
		Long: `Add a server, started with bootstrap = false (it waits to join), to the raft
group of the agent at --http-addr. With --server-http the new server's name
and addresses are read from its GET /v1/operator/raft/self (which needs no
token: a server has none before it joins); otherwise give --name and
--address (its raft advertise address), and --http and --sync so that the
group can forward writes to it and tell children about it when it leads.

The new server first receives the leader's state (a raft snapshot or the
log), then votes. Add servers one at a time, to 3 or 5 in all. Run on a
server that is already a voter (a static group's member), add-voter only
records its API and sync addresses in the group's address book.`,
		Example: `  fedsync operator raft add-voter --server-http 10.0.3.8:8700
  fedsync operator raft add-voter --name 210102000000-srv2 --address 10.0.3.8:8701 --http 10.0.3.8:8700 --sync 10.0.3.8:8702`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if serverHTTP != "" {
				st, err := a.remoteSelf(cmd, serverHTTP)
				if err != nil {
					return err
				}
				req = api.AddVoterRequest{Name: st.Server, Raft: st.Raft.Advertise, HTTP: st.Raft.HTTP, Sync: st.Raft.Sync}
			}
			if req.Name == "" || req.Raft == "" {
				return usagef("add-voter needs --server-http ADDR, or --name and --address")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.AddVoter(cmd.Context(), req); err != nil {
				return fmt.Errorf("add voter %s: %w", req.Name, err)
			}
			fmt.Fprintf(a.stdout, "Added %s (raft %s) to the group as a voter.\n", req.Name, req.Raft)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&serverHTTP, "server-http", "", "API `ADDR` of the new server: its name and addresses are read from its status")
	fl.StringVar(&req.Name, "name", "", "the new server's `NAME`")
	fl.StringVar(&req.Raft, "address", "", "the new server's raft advertise `ADDR`")
	fl.StringVar(&req.HTTP, "http", "", "the new server's API `ADDR`")
	fl.StringVar(&req.Sync, "sync", "", "the new server's sync `ADDR`")
	return cmd
}

// remoteSelf reads who the server at addr (not --http-addr) is.
func (a *app) remoteSelf(cmd *cobra.Command, addr string) (*api.RaftSelf, error) {
	c, err := a.clientAt(addr, "") // the route needs no token
	if err != nil {
		return nil, usagef("--server-http: %v", err)
	}
	st, err := c.RaftSelf(cmd.Context())
	if err != nil {
		return nil, fmt.Errorf("ask the new server at %s who it is: %w", addr, err)
	}
	if st.Raft == nil || st.Raft.Advertise == "" {
		return nil, fmt.Errorf("the server at %s reports no raft address; is it a fedsync agent of this version?", addr)
	}
	return st, nil
}

func newRemovePeerCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "remove-peer NAME",
		Short: "Remove a server from the node's raft group",
		Long: `Remove the server NAME from the raft group (and from its address book).

It is refused when the voters that would remain have fewer live members
than their quorum (removing a live server of three while another is down
leaves two voters, quorum two, one live: the node could no longer write),
and when NAME is the leader itself. --force removes anyway (a leader so
removed commits its own removal and steps down; the others elect a new
leader).`,
		Example: `  fedsync operator raft remove-peer 210102000000-srv3
  fedsync operator raft remove-peer 210102000000-srv3 --force`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.RemovePeer(cmd.Context(), argv[0], force); err != nil {
				return fmt.Errorf("remove peer %s: %w", argv[0], err)
			}
			fmt.Fprintf(a.stdout, "Removed %s from the group.\n", argv[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "remove even if the group loses its quorum or its leader")
	return cmd
}

// addRaftRows adds status rows for a server of a group of several, or one
// that waits to join.
func addRaftRows(t *table, ri *api.RaftInfo) {
	if ri == nil {
		return
	}
	if ri.Voters > 1 {
		t.add("raft group", fmt.Sprintf("%d voters; this server advertises %s; term %d, last index %d", ri.Voters, ri.Advertise, ri.Term, ri.LastIndex))
	}
	if ri.Waiting != "" {
		t.add("raft waits", ri.Waiting)
	}
}
