package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"fedsync/api"
	"fedsync/area"
)

// addMembershipCmds adds the federation administrators' commands: members,
// join, leave, force-leave and keyring.
func addMembershipCmds(root *cobra.Command, a *app) {
	root.AddGroup(&cobra.Group{ID: "members", Title: "Federation membership (gossip):"})
	root.AddCommand(newMembersCmd(a), newJoinCmd(a), newLeaveCmd(a), newForceLeaveCmd(a), newKeyringCmd(a))
}

func newMembersCmd(a *app) *cobra.Command {
	var within, level, status string
	cmd := &cobra.Command{
		Use:     "members [--area CODE] [--level LEVEL] [--status STATUS]",
		Short:   "List every server of the federation as the agent sees it through gossip",
		GroupID: "members",
		Long: `List every server of the federation's gossip pool as the agent at
--http-addr sees it, itself included: its name, area, level, gossip address,
status, raft role and version.

Status is one of
  alive    answering the failure detector's probes;
  leaving  alive, and announced it is leaving (` + "`fedsync leave`" + `);
  dead     declared failed: it stopped answering probes (crash, network);
  left     left gracefully, or cleared here by ` + "`fedsync force-leave`" + `.
(memberlist keeps suspicion internal: a suspect server shows as alive until
it is declared dead.) Dead and left servers stay listed for 72 hours.

Raft role is what the server last gossiped: leader (it sends its node's data
upward and takes writes), follower, or unknown (starting, electing).

--area keeps the servers of that area and every area below it; --level
keeps one level (province, city, county, street); --status one status.`,
		Example: `  fedsync members
  fedsync members --status dead
  fedsync members --area 210100000000 --level county
  fedsync members -o json | jq '.[] | select(.status != "alive")'`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var code area.Code
			if within != "" {
				var err error
				if code, err = area.Parse(within); err != nil {
					return usagef("--area: %v", err)
				}
			}
			switch level {
			case "", "province", "city", "county", "street":
			default:
				return usagef("--level %q: want province, city, county or street", level)
			}
			switch status {
			case "", "alive", "leaving", "dead", "left":
			default:
				return usagef("--status %q: want alive, leaving, dead or left", status)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ms, err := c.MembersWithStatus(cmd.Context(), code, level, status)
			if err != nil {
				return fmt.Errorf("members: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, ms)
			}
			return printMembers(a, ms)
		},
	}
	cmd.Flags().StringVar(&within, "area", "", "only servers of the area `CODE` and below")
	cmd.Flags().StringVar(&level, "level", "", "only servers of one `LEVEL`: province, city, county or street")
	cmd.Flags().StringVar(&status, "status", "", "only servers in one `STATUS`: alive, leaving, dead or left")
	return cmd
}

func printMembers(a *app, ms []api.Member) error {
	if len(ms) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no server matches")
		return err
	}
	t := newTable("NAME", "AREA", "CODE", "LEVEL", "ADDRESS", "STATUS", "RAFT ROLE", "VERSION")
	counts := map[string]int{}
	for _, m := range ms {
		t.add(m.Name, m.AreaName, string(m.Area), m.Level, m.GossipAddr, m.Status, m.RaftRole, m.Version)
		counts[m.Status]++
	}
	if err := t.write(a.stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintf(a.stdout, "\n%d servers: %d alive, %d leaving, %d dead, %d left\n",
		len(ms), counts["alive"], counts["leaving"], counts["dead"], counts["left"])
	return err
}

func newJoinCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "join ADDR...",
		Short:   "Make the agent join the gossip pool through one of the given servers",
		GroupID: "members",
		Long: `Ask the agent at --http-addr to contact the gossip addresses (host:port of
servers already in the pool, port 8703 by default) and merge with their
pool. One address that answers is enough. The agent's own [gossip] join list
does this at start; use the command to reconnect an agent started alone, or
to merge two pools.

A server whose gossip key no member shares is refused ("gossip key mismatch
or missing"), as is a server claiming an area that another raft group
already serves; the pool is unchanged.`,
		Example: `  fedsync join 10.21.0.2:8703
  fedsync join 10.21.0.2:8703 10.21.0.3:8703 --http-addr 10.21.1.7:8700`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, addrs []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			n, err := c.Join(cmd.Context(), addrs)
			if err != nil {
				return fmt.Errorf("join: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, api.JoinAnswer{Joined: n})
			}
			_, err = fmt.Fprintf(a.stdout, "joined through %d of %d addresses\n", n, len(addrs))
			return err
		},
	}
}

func newLeaveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "leave",
		Short:   "Make the agent leave the gossip pool gracefully, then stop",
		GroupID: "members",
		Long: `Ask the agent at --http-addr to leave the federation's gossip pool
gracefully: it announces that it is leaving, the other servers list it as
left (not dead), and the agent stops. Use it before taking a server out of
service for good; a plain stop (or a crash) shows as dead instead, and its
children bypass it after their bypass_after.

Starting the agent again joins the pool again.`,
		Example: `  fedsync leave
  fedsync leave --http-addr 10.21.1.7:8700`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.Leave(cmd.Context()); err != nil {
				return fmt.Errorf("leave: %w", err)
			}
			_, err = fmt.Fprintln(a.stdout, "left the gossip pool; the agent is stopping")
			return err
		},
	}
}

func newForceLeaveCmd(a *app) *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:     "force-leave NAME",
		Short:   "Clear a dead server from every server's member list",
		GroupID: "members",
		Long: `Mark a server that is reported dead as left and stop listing it, on every
alive server of the federation: for a server that will not come back
(decommissioned, replaced under another name). The agent at --http-addr must
list the server as dead (an alive one is refused: stop it, or run
` + "`fedsync leave`" + ` on it); it then asks every alive server through gossip,
and prints what each did: "left", "not listed here", or why it refused (a
server that still sees it alive, across a partition; a server asked by a
server whose area does not contain the dead server's). Run it against a
province server to clear a server anywhere. If the server comes back it is
listed again. --local clears it from the agent's own list only.`,
		Example: `  fedsync force-leave heping-2
  fedsync force-leave heping-2 --local --http-addr 10.21.0.3:8700`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if local {
				if err := c.ForceLeave(cmd.Context(), names[0]); err != nil {
					return fmt.Errorf("force-leave %s: %w", names[0], err)
				}
				_, err = fmt.Fprintf(a.stdout, "%s is now listed as left on this server\n", names[0])
				return err
			}
			res, err := c.FederationForceLeave(cmd.Context(), names[0])
			if err != nil {
				return fmt.Errorf("force-leave %s: %w", names[0], err)
			}
			failed := len(res.NoAnswer)
			for _, s := range res.Servers {
				if s.Error != "" {
					failed++
				}
			}
			if a.json() {
				if err := printJSON(a.stdout, res); err != nil {
					return err
				}
			} else {
				t := newTable("SERVER", "RESULT")
				for _, s := range res.Servers {
					r := s.Result
					if s.Error != "" {
						r = "failed: " + s.Error
					}
					t.add(s.Server, r)
				}
				if err := t.write(a.stdout); err != nil {
					return err
				}
				if len(res.NoAnswer) > 0 {
					fmt.Fprintf(a.stdout, "\nno answer in time: %s\n", strings.Join(res.NoAnswer, ", "))
				}
			}
			if failed > 0 {
				return partial("force-leave %s: not done on %d servers", names[0], failed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "clear it from the agent's own list only")
	return cmd
}
