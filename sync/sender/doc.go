// Package sender owns the upward half of fedsync's sync protocol (DESIGN
// §6): the replicator that runs on a node's raft leader and pushes to the
// parent node every entry the parent has not acknowledged, its own origin's
// and every descendant's, in per-origin seq order, origin and seq unchanged.
//
// A Sender dials the parent through a proto.Dialer, learns from the Welcome
// what the parent holds of each origin, and streams wire batches without
// waiting for each acknowledgement: up to Config.MaxInFlight batches are
// outstanding, and a receiver goroutine matches the in-order acks to them.
// Batches are filled round-robin over the origins with unsent entries, at
// most Config.PerOriginQuantum entries per origin per pass, so that a large
// backlog of one origin never holds back another's few entries.
//
// Per origin the sender keeps acked (the parent's watermark) and next (the
// next seq to send) with the chain hash of entry next-1. Acks move them:
//
//   - applied, duplicate: acked = the returned watermark;
//   - gap: next rewinds to watermark+1 (its chain read back from the
//     source), and acks of batches sent before the rewind are ignored for
//     that origin (an epoch counter);
//   - refused: logged and counted; the origin rewinds and waits a jittered,
//     growing backoff before it is sent again;
//   - an Ack with Error (the whole batch refused), a Recv error, an ack that
//     does not match its batch or no ack within Config.AckTimeout: the
//     session is closed and redialed after a jittered backoff. The new
//     Welcome resets every origin, so nothing is lost and anything re-sent
//     is a duplicate the parent acknowledges without effect.
//
// Run never gives up while its context lives; it belongs on the raft
// leader only (start it on gaining leadership, cancel it on losing it).
// Status reports the link and each origin's backlog for `fedsync status`
// and the API (a Session that implements Peer names the parent server
// there); Stats returns counters the node exports as metrics.
package sender
