// Package federation owns the gossip membership of every server of the
// federation (DESIGN §7): one encrypted hashicorp/memberlist pool of all
// street, county, city and province servers. Each server gossips its
// metadata (Meta: name, area, level, API/sync/raft addresses, raft role,
// version, in a versioned compact encoding); the Pool keeps this server's
// view of the others (Members), answers the node's questions (Servers,
// Leader, NearestLiveAncestor for bypass), refuses servers whose metadata is
// invalid or that a ConflictChecker rejects, and manages the keyring.
//
// The package is a library: node wires it in (Config from the node's config,
// UpdateMeta on raft role changes, OnEvent into its logs and metrics).
// federation/sim measures the pool at province scale. README.md holds the
// timings chosen, the key rotation procedure and measured figures.
package federation
