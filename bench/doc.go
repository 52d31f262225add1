// Package bench measures fedsync at the scale of DESIGN §9: street nodes
// writing records and replicating them upward to a city over the real sync
// link, every node in this process on loopback.
//
// A Scenario names the topology (Shape: streets straight under the city,
// or streets under one county under the city), the load (Entries across
// Streets, written in batches of BatchSize through node.Write) and the
// mode:
//
//   - live: every node is up; the clock runs from the first street write
//     until the city's watermark of every street covers the street's last
//     entry;
//   - catchup: the city (and the county) are down while the streets write
//     everything; the clock runs from the city's start until it holds every
//     entry, with the moments the first entry arrived and every origin was
//     delivering.
//
// Run also measures, in the same process and run: the propagation latency
// of single writes under a light steady load, the wire bytes per entry and
// compression ratio from the senders' counters, the process's memory, and
// a raw bbolt baseline (the same record bodies written into one bare bbolt
// file in batches of 1,000) that the replication rates are compared with.
//
// Result carries every figure; `fedsync bench` prints it. Nothing in this
// package asserts a time: it measures, and its tests check only that the
// city ends up holding every entry.
package bench
